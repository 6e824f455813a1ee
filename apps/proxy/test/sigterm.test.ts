import {
  Agent,
  Cleanup,
  connectOutcome,
  json,
  request,
  spawnApp,
  startForwardingProxy,
  startHttpStub,
  until,
} from '@meshapps/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The real proxy app, as Cloud Run runs it: its own process, PORT and K_SERVICE from the
 * environment, the mesh reached through HTTP_PROXY. Here the "mesh" is a forwarding proxy that
 * holds requests while the test says so, so they are surely in flight when SIGTERM arrives.
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Requests to the upstream wait while a hold is set, and go on when it is released. */
function upstreamHold() {
  let held: { promise: Promise<void>; release: () => void } | undefined;
  return {
    hold: () => held?.promise,
    start() {
      let release!: () => void;
      held = { promise: new Promise<void>((r) => (release = r)), release };
    },
    release() {
      held?.release();
      held = undefined;
    },
  };
}

async function startProxyApp(upstream: ReturnType<typeof upstreamHold>) {
  const target1 = await startHttpStub(json(200, { message: 'target1' }));
  cleanup.add(() => target1.close());
  const sidecar = await startForwardingProxy({
    routes: { 'target1.meshapps.internal': target1.port },
    hold: upstream.hold,
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

/** How long each wait for a positive marker may take: the app is a process of its own. */
const WAIT_MS = 10_000;

// Exit code 0 is the proof it finished inside its grace period (8 s, inside Cloud Run's 10 s):
// had it been cut there, it would exit 1 (packages/service/test/graceful-shutdown.test.ts).
describe('apps/proxy on SIGTERM', () => {
  it('answers every in-flight request, refuses new connections, and exits 0', async () => {
    const upstream = upstreamHold();
    const { app, sidecar } = await startProxyApp(upstream);
    const agent = new Agent({ connections: 20, keepAliveTimeout: 60_000 });
    cleanup.add(() => agent.destroy());
    const url = `http://127.0.0.1:${app.port}/call/target1.meshapps.internal`;
    const call = async () => {
      const res = await request(url, { dispatcher: agent });
      return { status: res.statusCode, text: await res.body.text() };
    };

    // First round: opens 20 keep-alive connections, which stay open afterwards.
    expect((await Promise.all(Array.from({ length: 20 }, call))).every((a) => a.status === 200)).toBe(true);

    // Second round on the same connections, held upstream; SIGTERM once all 20 wait there.
    upstream.start();
    const seenBefore = sidecar.seen.length;
    const inflight = Array.from({ length: 20 }, call);
    await until(
      () => sidecar.seen.length === seenBefore + 20,
      'the 20 requests never reached the sidecar',
      WAIT_MS,
    );
    app.child.kill('SIGTERM');

    // While draining (the 20 answers still held upstream), the listener closes: the app says so
    // first, then the port refuses. Nothing was answered meanwhile: the hold is still on.
    let answered = false;
    const all = Promise.allSettled(inflight).then((settled) => {
      answered = true;
      return settled.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)));
    });
    await until(
      () => app.logs.some((l) => l.message === 'shutting down: draining in-flight requests'),
      'the app never said it was shutting down',
      WAIT_MS,
    );
    await until(
      async () => (await connectOutcome('127.0.0.1', app.port)) === 'ECONNREFUSED',
      'the port still accepts',
      WAIT_MS,
    );
    expect(answered).toBe(false);
    upstream.release();

    const answers = await all;
    expect(answers).toEqual(Array(20).fill({ status: 200, text: '{"message":"proxy <- target1"}' }));

    const { code, signal } = await app.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(await connectOutcome('127.0.0.1', app.port)).toBe('ECONNREFUSED');

    const messages = app.logs.map((l) => l.message);
    expect(messages).toContain('shutting down: draining in-flight requests');
    expect(messages).toContain('stopped');
    expect(app.logs.every((l) => typeof l.severity === 'string')).toBe(true);
    expect(app.stderr()).toBe('');
  });
});
