import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Cleanup, request } from '../../call/test/helpers/index.ts';
import { closeGracefully } from '../src/index.ts';
import { startService } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A signal nothing else in the test process listens to; `process.emit` delivers it in-process. */
const SIGNAL = 'SIGUSR2';

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function slowService(answerAfterMs: number | 'never') {
  let started = 0;
  const service = await startService('proxy', (app) => {
    app.get('/slow', async () => {
      started++;
      if (answerAfterMs === 'never') await new Promise(() => {});
      await sleep(answerAfterMs as number);
      return { message: 'proxy <- target1' };
    });
  });
  cleanup.add(() => service.app.server.closeAllConnections());
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 20 });
  cleanup.add(() => agent.destroy());
  const port = Number(new URL(service.url).port);
  return { ...service, port, agent, started: () => started };
}

describe('closeGracefully', () => {
  it('lets in-flight requests finish, does not wait for idle keep-alive sockets, then exits 0', async () => {
    const svc = await slowService(300);
    let exitedAt = 0;
    let onClosedCalled = false;
    const exited = new Promise<number>((resolve) =>
      closeGracefully(svc.app, {
        signals: [SIGNAL],
        onClosed: async () => {
          onClosedCalled = true;
        },
        exit: (code) => {
          exitedAt = performance.now();
          resolve(code);
        },
      }),
    );

    // An idle keep-alive connection: on its own it would hold app.close() open for 72 s.
    const idle = new Agent({ keepAliveTimeout: 60_000 });
    cleanup.add(() => idle.destroy());
    await (await request(`${svc.url}/healthz`, { dispatcher: idle })).body.text();

    const inflight = Array.from({ length: 10 }, async () => {
      const res = await request(`${svc.url}/slow`, { dispatcher: svc.agent });
      return { status: res.statusCode, body: await res.body.json() };
    });
    await until(() => svc.started() === 10);
    const signalledAt = performance.now();
    process.emit(SIGNAL);
    process.emit(SIGNAL); // a second signal changes nothing

    await sleep(50);
    expect(await connectOutcome(svc.port)).toBe('ECONNREFUSED');

    const answers = await Promise.all(inflight);
    expect(answers).toEqual(Array(10).fill({ status: 200, body: { message: 'proxy <- target1' } }));
    expect(await exited).toBe(0);
    expect(onClosedCalled).toBe(true);
    expect(exitedAt - signalledAt).toBeLessThan(2000);
    expect(svc.sink.entries().map((e) => e.message)).toEqual(
      expect.arrayContaining(['shutting down: draining in-flight requests', 'stopped']),
    );
  });

  it('cuts what is still open when the grace period ends, and exits 1', async () => {
    const svc = await slowService('never');
    const exited = new Promise<number>((resolve) =>
      closeGracefully(svc.app, { signals: [SIGNAL], graceMs: 300, exit: resolve }),
    );
    const stuck = request(`${svc.url}/slow`, { dispatcher: svc.agent }).then(
      (res) => `answered ${res.statusCode}`,
      (err: { code?: string }) => err.code ?? 'failed',
    );
    await until(() => svc.started() === 1);
    const signalledAt = performance.now();
    process.emit(SIGNAL);
    expect(await exited).toBe(1);
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(290);
    expect(performance.now() - signalledAt).toBeLessThan(1500);
    expect(await stuck).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    expect(svc.sink.entries().some((e) => e.severity === 'WARNING' && e.graceMs === 300)).toBe(true);
  });
});
