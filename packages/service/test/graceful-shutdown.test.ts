import { Agent, Cleanup, connectOutcome, request, until } from '@meshapps/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { closeGracefully } from '../src/index.ts';
import { startService } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A signal nothing else in the test process listens to; `process.emit` delivers it in-process. */
const SIGNAL = 'SIGUSR2';
/**
 * A second signal closeGracefully listens to: `process.once` hears each signal once, so only a
 * different signal reaches `shutdown` a second time. SIGWINCH's default is to ignore it.
 */
const OTHER_SIGNAL = 'SIGWINCH';

/** How long each wait for a positive marker may take (all in this process). */
const WAIT_MS = 3000;

/** A promise with its resolve, for the moments the test decides (an answer, the grace timer). */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** GET /slow waits for `answer` to open; the test decides when in-flight requests finish. */
async function heldService(answer: Promise<void>) {
  let started = 0;
  const service = await startService('proxy', (app) => {
    app.get('/slow', async () => {
      started++;
      await answer;
      return { message: 'proxy <- target1' };
    });
  });
  cleanup.add(() => service.app.server.closeAllConnections());
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 20 });
  cleanup.add(() => agent.destroy());
  const port = Number(new URL(service.url).port);
  return { ...service, port, agent, started: () => started };
}

/** The grace timer, injected: records what it was asked for and ends when the test says. */
function graceClock() {
  const over = gate();
  const asked: number[] = [];
  const graceOver = (ms: number) => {
    asked.push(ms);
    return over.opened;
  };
  return { asked, end: over.open, graceOver };
}

describe('closeGracefully', () => {
  // The grace period never ends here: an exit can only come from every connection closing,
  // so an idle keep-alive socket that held app.close() open would hold the test until it times out.
  it('lets in-flight requests finish, does not wait for idle keep-alive sockets, then exits 0', async () => {
    const answer = gate();
    const svc = await heldService(answer.opened);
    const exits: number[] = [];
    let onClosedCalled = false;
    const exited = new Promise<number>((resolve) =>
      closeGracefully(svc.app, {
        signals: [SIGNAL, OTHER_SIGNAL],
        graceOver: () => new Promise(() => {}),
        onClosed: async () => {
          onClosedCalled = true;
        },
        exit: (code) => {
          exits.push(code);
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
    await until(() => svc.started() === 10, 'the ten requests never reached the handler', WAIT_MS);
    process.emit(SIGNAL);
    process.emit(OTHER_SIGNAL); // a second signal while draining changes nothing

    await until(() => !svc.app.server.listening, 'the server still listens', WAIT_MS); // it stopped accepting…
    expect(await connectOutcome('127.0.0.1', svc.port)).toBe('ECONNREFUSED');
    expect(exits).toEqual([]); // …and waits for the ten it holds
    answer.open();

    const answers = await Promise.all(inflight);
    expect(answers).toEqual(Array(10).fill({ status: 200, body: { message: 'proxy <- target1' } }));
    expect(await exited).toBe(0);
    expect(exits).toEqual([0]);
    expect(onClosedCalled).toBe(true);
    const messages = svc.sink.entries().map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining(['shutting down: draining in-flight requests', 'stopped']),
    );
    expect(messages.filter((m) => m === 'shutting down: draining in-flight requests')).toHaveLength(1);
  });

  it('cuts what is still open when the grace period ends, not before, and exits 1', async () => {
    const svc = await heldService(new Promise(() => {})); // never answers
    const clock = graceClock();
    const exits: number[] = [];
    const exited = new Promise<number>((resolve) =>
      closeGracefully(svc.app, {
        signals: [SIGNAL],
        graceMs: 300,
        graceOver: clock.graceOver,
        exit: (code) => {
          exits.push(code);
          resolve(code);
        },
      }),
    );
    const stuck = request(`${svc.url}/slow`, { dispatcher: svc.agent }).then(
      (res) => `answered ${res.statusCode}`,
      (err: { code?: string }) => err.code ?? 'failed',
    );
    await until(() => svc.started() === 1, 'the request never reached the handler', WAIT_MS);
    process.emit(SIGNAL);
    await until(
      () => clock.asked.length > 0 && !svc.app.server.listening,
      'the grace timer was never asked for, or the server still listens',
      WAIT_MS,
    );
    expect(clock.asked).toEqual([300]);
    expect(exits).toEqual([]); // draining, the stuck request still open

    clock.end();
    expect(await exited).toBe(1);
    expect(await stuck).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    expect(svc.sink.entries().some((e) => e.severity === 'WARNING' && e.graceMs === 300)).toBe(true);
  });
});
