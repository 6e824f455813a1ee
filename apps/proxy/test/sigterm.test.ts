import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Agent,
  type AppProcess,
  Cleanup,
  json,
  request,
  spawnApp,
  startForwardingProxy,
  startHttpStub,
} from '../../../packages/call/test/helpers/index.ts';

/**
 * The real proxy app, as Cloud Run runs it: its own process, PORT and K_SERVICE from the
 * environment, the mesh reached through HTTP_PROXY. Here the "mesh" is a forwarding proxy that
 * holds every request 1.5 s, so requests are surely in flight when SIGTERM arrives.
 */
const UPSTREAM_DELAY_MS = 1500;
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

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

async function startProxyApp(): Promise<{ app: AppProcess; sidecar: { seen: string[] } }> {
  const target1 = await startHttpStub(json(200, { message: 'target1' }));
  cleanup.add(() => target1.close());
  const sidecar = await startForwardingProxy({
    routes: { 'target1.meshapps.internal': target1.port },
    delayMs: UPSTREAM_DELAY_MS,
  });
  cleanup.add(() => sidecar.close());
  const app = await spawnApp('apps/proxy/src/main.ts', {
    K_SERVICE: 'proxy',
    K_REVISION: 'proxy-00001-abc',
    HTTP_PROXY: sidecar.url,
  });
  cleanup.add(() => app.stop());
  return { app, sidecar };
}

describe('apps/proxy on SIGTERM', () => {
  it('answers every in-flight request, refuses new connections, and exits 0 well inside 10 s', async () => {
    const { app, sidecar } = await startProxyApp();
    const agent = new Agent({ connections: 20, keepAliveTimeout: 60_000 });
    cleanup.add(() => agent.destroy());
    const url = `http://127.0.0.1:${app.port}/call/target1.meshapps.internal`;
    const call = async () => {
      const res = await request(url, { dispatcher: agent });
      return { status: res.statusCode, text: await res.body.text() };
    };

    // First round: opens 20 keep-alive connections, which stay open afterwards.
    expect((await Promise.all(Array.from({ length: 20 }, call))).every((a) => a.status === 200)).toBe(true);

    // Second round on the same connections; SIGTERM once all 20 are waiting on the upstream.
    const seenBefore = sidecar.seen.length;
    const inflight = Array.from({ length: 20 }, call);
    const end = performance.now() + 3000;
    while (sidecar.seen.length < seenBefore + 20 && performance.now() < end) await sleep(5);
    expect(sidecar.seen.length - seenBefore).toBe(20);
    const signalledAt = performance.now();
    app.child.kill('SIGTERM');

    // While draining (the 20 answers still held upstream), the listener is already closed.
    let answered = false;
    const all = Promise.allSettled(inflight).then((settled) => {
      answered = true;
      return settled.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)));
    });
    let outcome = await connectOutcome(app.port);
    while (outcome !== 'ECONNREFUSED' && !answered && performance.now() < signalledAt + 3000) {
      await sleep(10);
      outcome = await connectOutcome(app.port);
    }
    expect({ outcome, answered }).toEqual({ outcome: 'ECONNREFUSED', answered: false });

    const answers = await all;
    expect(answers).toEqual(Array(20).fill({ status: 200, text: '{"message":"proxy <- target1"}' }));

    const { code, signal, at } = await app.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(at - signalledAt).toBeLessThan(5000);
    expect(await connectOutcome(app.port)).toBe('ECONNREFUSED');

    const messages = app.logs.map((l) => l.message);
    expect(messages).toContain('shutting down: draining in-flight requests');
    expect(messages).toContain('stopped');
    expect(app.logs.every((l) => typeof l.severity === 'string')).toBe(true);
    expect(app.stderr()).toBe('');
  });
});
