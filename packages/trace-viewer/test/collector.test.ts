import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraceCollector, type TraceCollector } from '../src/index.ts';
import { chainTrace } from './fixtures.ts';

// The collector in a process of its own (issue 13, defect 3): spans recorded here travel to it,
// and when it dies it comes back on the same port.
let collector: TraceCollector;
const events: string[] = [];
beforeAll(async () => {
  collector = await startTraceCollector({ port: 0, onEvent: (e) => events.push(e) });
});
afterAll(() => collector?.close());

async function spansOf(traceId: string, atLeast: number): Promise<number> {
  const deadline = Date.now() + 5000;
  let count = 0;
  while (Date.now() < deadline) {
    const res = await fetch(`${collector.url}/api/traces/${traceId}`).catch(() => undefined);
    if (res?.ok) count = ((await res.json()) as { spans: unknown[] }).spans.length;
    else await res?.body?.cancel();
    if (count >= atLeast) return count;
    await new Promise((r) => setTimeout(r, 50));
  }
  return count;
}

describe('the trace collector process', () => {
  it('is not this process, and spans recorded here reach its store', async () => {
    expect(collector.pid).toBeGreaterThan(0);
    expect(collector.pid).not.toBe(process.pid);
    const trace = chainTrace();
    collector.record(trace);
    expect(await spansOf(trace[0]?.traceId as string, 6)).toBe(6);
  });

  it('killed, it is started again on the same port, and spans recorded meanwhile arrive', async () => {
    const before = collector.pid;
    process.kill(before, 'SIGKILL');
    const trace = chainTrace();
    collector.record(trace);
    expect(await spansOf(trace[0]?.traceId as string, 6)).toBe(6);
    expect(collector.pid).not.toBe(before);
    expect(events).toEqual([
      expect.stringMatching(/^trace collector exited \(SIGKILL\); starting it again on port \d+$/),
    ]);
  });

  it('a port in use is reported with its code, so the caller can say which flag to change', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    await expect(startTraceCollector({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    taken.close();
  });
});
