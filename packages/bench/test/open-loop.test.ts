import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClosedLoop, runOpenLoop } from '../src/load-runner.ts';

let server: Server;
let url: string;
let stalled = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/fail') {
      res.statusCode = 503;
      return void res.end('no instance');
    }
    if (!stalled) {
      // The first request stalls this process for 150 ms: everything due meanwhile waits.
      stalled = true;
      const until = performance.now() + 150;
      while (performance.now() < until);
    }
    res.end('{"message":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('open loop', () => {
  it('times each request from when it was due, so a stall counts for every request behind it', async () => {
    const result = await runOpenLoop({
      kind: 'open',
      targets: [{ name: 'a', url }],
      ratePerTarget: 200,
      durationMs: 600,
      warmupMs: 0,
    });
    const samples = result.samples.a ?? [];
    expect(samples).toHaveLength(120);
    expect(result.why.a).toEqual({});
    // Never negative (a request that leaves a little early is timed from when it left)…
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    // …and the stall is not hidden: requests due during it carry the wait.
    expect(samples.filter((ms) => ms >= 100).length).toBeGreaterThanOrEqual(5);
    expect(result.bodies.a).toBe('{"message":"ok"}');
  });

  it('says what the failed requests were, open loop and closed', async () => {
    const open = await runOpenLoop({
      kind: 'open',
      targets: [
        { name: 'ok', url },
        { name: 'down', url: `${url}fail` },
      ],
      ratePerTarget: 100,
      durationMs: 200,
      warmupMs: 0,
    });
    expect(open.why).toEqual({ ok: {}, down: { '503': 20 } });
    const closed = await runClosedLoop({
      kind: 'closed',
      target: { name: 'down', url: `${url}fail` },
      connections: 2,
      durationMs: 100,
    });
    expect(Object.keys(closed.why)).toEqual(['503']);
    expect(closed.why['503']).toBeGreaterThan(0);
  });
});
