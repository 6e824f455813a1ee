import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../src/cleanup.ts';
import type { CloudRunFront } from '../src/cloud-run-front.ts';
import { bindEntries, portInUse } from '../src/entries.ts';
import type { Listener } from '../src/listener.ts';

// Only the service name is read while listening; no request reaches these fronts.
const fronts = new Map([
  ['client', { service: 'client' } as CloudRunFront],
  ['without-mesh-client', { service: 'without-mesh-client' } as CloudRunFront],
]);
const entries = { loadBalancer: 'client', participant: 'without-mesh-client' };

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});
async function takenPort(): Promise<number> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('bindEntries: a taken port names the flag that moves it', () => {
  it('the participant port taken → --participant-port, and the load balancer already open is closed', async () => {
    const taken = await takenPort();
    const cleanup = new Cleanup();
    const listeners: Listener[] = [];
    const opening = bindEntries(
      { host: '127.0.0.1', lbPort: 0, participantPort: taken, entries, fronts, progress: () => {} },
      listeners,
      cleanup,
    );
    await expect(opening).rejects.toThrow(
      `port ${taken} is in use: pass --participant-port <free port> (the participant of without-mesh-client)`,
    );
    // The load balancer opened before the failure; the stage's undo closes it.
    const lb = listeners.find((l) => l.name === 'load balancer') as Listener;
    expect(lb.port).toBeGreaterThan(0);
    await cleanup.run();
    await expect(fetch(`http://127.0.0.1:${lb.port}/`)).rejects.toThrow();
  });

  it('the load balancer port taken → --port', async () => {
    const taken = await takenPort();
    const cleanup = new Cleanup();
    await expect(
      bindEntries(
        { host: '127.0.0.1', lbPort: taken, participantPort: 0, entries, fronts, progress: () => {} },
        [],
        cleanup,
      ),
    ).rejects.toThrow(`port ${taken} is in use: pass --port <free port> (the load-balancer of client)`);
    await cleanup.run();
  });

  it('the trace port wording, and any other error passed on as it is', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(portInUse(inUse, 16686, '--trace-port', 'the trace viewer').message).toBe(
      'port 16686 is in use: pass --trace-port <free port> (the trace viewer)',
    );
    const other = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    expect(portInUse(other, 80, '--port', 'x')).toBe(other);
  });
});
