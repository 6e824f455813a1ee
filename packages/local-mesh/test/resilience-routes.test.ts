import { request } from 'node:http';
import { join } from 'node:path';
import { judge, outcomeOf, parseExpect, zFor } from '@meshapps/measure';
import {
  loadRoutes,
  loadTopology,
  REPO_ROOT,
  type RouteAction,
  type RouteFile,
  TOPOLOGY_FILE,
} from '@meshapps/mesh-config';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatHop } from '../src/log-format.ts';
import {
  compressedTime,
  json,
  type MiniMesh,
  type Stub,
  seeded,
  startMiniMesh,
} from './helpers/mini-mesh.ts';

// The example routes themselves, run by the real Router, sidecars and Cloud Run fronts; stub apps
// stand in for the processes, and route time runs 20× faster (a 2 s delay takes 100 ms).
const EXAMPLES = join(REPO_ROOT, 'docs/examples/routes/resilience');
const topology = loadTopology(TOPOLOGY_FILE);
const backend = (name: string) => `projects/\${PROJECT_ID}/locations/global/backendServices/${name}`;
const extra = (name: string, action: Omit<RouteAction, 'destinations'>, to = 'target2'): RouteFile => ({
  file: `${name}.yaml`,
  text: '',
  route: {
    name: `route-${name}`,
    hostnames: [`${name}.meshapps.internal`],
    rules: [{ action: { destinations: [{ serviceName: backend(to) }], ...action } }],
  },
});

// target2's behaviour, set per test; every request it sees is counted.
let target2: Stub;
const seen = { target2: 0, failed: 0, bodies: [] as string[] };
const ok: Stub = (_req, res) => json(res, 200, { message: 'target2' });
const failing = (share: number, random: () => number, status = 503): Stub => {
  return (_req, res) => {
    if (random() < share) {
      seen.failed++;
      return json(res, status, { error: 'injected by the test' });
    }
    json(res, 200, { message: 'target2' });
  };
};
/**
 * Fails `share` of attempts, decided by request number and attempt (the x-request-no header), so
 * the figure is the same on every run, whatever order concurrent requests arrive in.
 */
const failingByRequest = (share: number): Stub => {
  const attempts = new Map<string, number>();
  return (req, res) => {
    const no = String(req.headers['x-request-no']);
    const attempt = attempts.get(no) ?? 0;
    attempts.set(no, attempt + 1);
    if (seeded(Number(no) * 8 + attempt)() < share) {
      seen.failed++;
      return json(res, 503, { error: 'injected by the test' });
    }
    json(res, 200, { message: 'target2' });
  };
};
// Never answers: only a per-try or route timeout ends it.
const hang: Stub = () => {};

let mesh: MiniMesh;
/** Route time runs 20× faster, except where a test needs it real. */
let speed = 0.05;
/** Route-time durations of the timers that were set / cancelled (delays, timeouts, back-offs). */
const scheduled: number[] = [];
const cancelled: number[] = [];
let proxySidecar: (url: string) => Promise<{ status: number; body: string }>;
beforeAll(async () => {
  const routes = [
    ...loadRoutes(EXAMPLES, topology),
    extra('delay-and-timeout', {
      timeout: '1s',
      faultInjectionPolicy: { delay: { fixedDelay: '2s', percentage: 100 } },
    }),
    extra('gateway-only', { retryPolicy: { retryConditions: ['gateway-error'], numRetries: 2 } }),
    extra('conflict', { retryPolicy: { retryConditions: ['retriable-4xx'], numRetries: 1 } }),
    extra('all-hang', {
      timeout: '3s',
      retryPolicy: { retryConditions: ['5xx'], numRetries: 5, perTryTimeout: '1s' },
    }),
  ];
  mesh = await startMiniMesh({
    topology,
    routes,
    callers: ['client', 'proxy'],
    random: seeded(13),
    schedule: (ms, fn) => {
      scheduled.push(ms);
      const cancel = compressedTime(() => speed)(ms, fn);
      return () => {
        cancelled.push(ms);
        cancel();
      };
    },
    apps: {
      target1: (_req, res) => json(res, 200, { message: 'target1' }),
      target2: (req, res) => {
        seen.target2++;
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          seen.bodies.push(body);
          target2(req, res);
        });
      },
      // proxy's app: calls the host named in its path through its own sidecar.
      proxy: (req, res) => {
        const host = (req.url ?? '/').split('/')[2] ?? '';
        void proxySidecar(`http://${host}/`).then(({ status, body }) => {
          if (!res.destroyed) json(res, status, { message: `proxy <- ${body}` });
        });
      },
    },
  });
  proxySidecar = (url) => mesh.call('proxy', url);
});
afterAll(() => mesh.close());
beforeEach(() => {
  speed = 0.05;
  target2 = ok;
  seen.target2 = 0;
  seen.failed = 0;
  seen.bodies = [];
  mesh.hops.length = 0;
});

/** n requests, 16 at a time, through client's sidecar. */
async function many(n: number, url: string): Promise<{ status: number; body: string }[]> {
  const answers: { status: number; body: string }[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (left-- > 0)
        answers.push(await mesh.call('client', url, { headers: { 'x-request-no': String(left) } }));
    }),
  );
  return answers;
}

describe('faultInjectionPolicy (abort50.yaml, delay2s.yaml)', () => {
  it("a 50 % abort answers 503 to ~50 % of requests, within split:check's interval", async () => {
    const answers = await many(1000, 'http://abort50.meshapps.internal/');
    const expected = parseExpect('target2=50,503=50');
    const counts = new Map<string, number>();
    for (const a of answers) {
      const who = outcomeOf(a.status, JSON.parse(a.body.startsWith('{') ? a.body : '{}').message, expected);
      counts.set(String(who), (counts.get(String(who)) ?? 0) + 1);
    }
    const verdicts = judge(counts, 1000, expected, zFor(0.999));
    const v503 = verdicts.find((v) => v.name === '503');
    console.log(
      `abort50.yaml: ${counts.get('503')} × 503 of 1000, 99.9 % interval [${((v503?.low ?? 0) * 100).toFixed(1)} %, ${((v503?.high ?? 0) * 100).toFixed(1)} %]`,
    );
    expect(verdicts.map((v) => [v.name, v.ok])).toEqual([
      ['503', true],
      ['target2', true],
    ]);
    // Aborted requests never reach target2; the mesh log says why, in Envoy's words.
    expect(seen.target2).toBe(counts.get('target2'));
    const aborted = mesh.hops.filter((h) => h.status === 503);
    expect(aborted.length).toBe(counts.get('503'));
    expect(aborted.every((h) => h.flags === 'FI')).toBe(true);
    expect(formatHop(aborted[0] as (typeof aborted)[0])).toMatch(/route-abort50 → target2 {2}503 FI /);
    expect(answers.find((a) => a.status === 503)?.body).toBe('fault filter abort');
  });

  it('a 2 s delay behind a 1 s route timeout answers 504 UT (timeout1s → proxy → delay2s)', async () => {
    const started = performance.now();
    const answer = await mesh.call(
      'client',
      'http://timeout1s.meshapps.internal/call/delay2s.meshapps.internal',
    );
    expect(answer).toEqual({ status: 504, body: 'upstream request timeout' });
    // At 20× speed: the 1 s timeout is 50 ms of real time, the 2 s delay 100 ms.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(mesh.hops).toContainEqual(
      expect.objectContaining({ caller: 'client', route: 'route-timeout1s', status: 504, flags: 'UT' }),
    );
  });

  it('the delay alone only delays: proxy -> delay2s answers 200 with DI', async () => {
    expect((await proxySidecar('http://delay2s.meshapps.internal/')).status).toBe(200);
    expect(mesh.hops).toContainEqual(
      expect.objectContaining({ route: 'route-delay2s', status: 200, flags: 'DI' }),
    );
  });

  it("fault injection switches the same rule's timeout off, as CSM documents", async () => {
    const answer = await mesh.call('client', 'http://delay-and-timeout.meshapps.internal/');
    expect(answer.status).toBe(200);
    expect(mesh.hops).toContainEqual(expect.objectContaining({ status: 200, flags: 'DI' }));
  });
});

describe('retryPolicy and timeout (retry.yaml)', () => {
  it('a retry on 5xx turns a 30 %-failing destination into ≥ 90 % success', async () => {
    // Real route time: retry.yaml's 1 s per try and 3 s timeout never bite a stub answering at once.
    speed = 1;
    target2 = failingByRequest(0.3);
    const answers = await many(1000, 'http://retry.meshapps.internal/');
    const success = answers.filter((a) => a.status === 200).length / 1000;
    // The destination really fails ~30 % of what it is sent…
    expect(seen.failed / seen.target2).toBeGreaterThan(0.25);
    expect(seen.failed / seen.target2).toBeLessThan(0.35);
    // …and with 2 retries, 1 − 0.3³ ≈ 97 % of requests succeed.
    expect(success).toBeGreaterThanOrEqual(0.9);
    console.log(
      `retry.yaml: ${(success * 100).toFixed(1)} % success; target2 failed ${seen.failed} of ${seen.target2} attempts`,
    );
    // Requests whose every attempt failed pass the last 503 on, flagged URX after 3 attempts.
    const exhausted = mesh.hops.filter((h) => h.status === 503);
    expect(exhausted.length).toBe(answers.filter((a) => a.status === 503).length);
    expect(exhausted.every((h) => h.flags === 'URX' && h.attempts === 3)).toBe(true);
  });

  it('retries only on the listed conditions: gateway-error does not retry a 500', async () => {
    target2 = failing(1, () => 0, 500);
    expect((await mesh.call('client', 'http://gateway-only.meshapps.internal/')).status).toBe(500);
    expect(seen.target2).toBe(1);
    target2 = failing(1, () => 0, 502);
    expect((await mesh.call('client', 'http://gateway-only.meshapps.internal/')).status).toBe(502);
    expect(seen.target2).toBe(4);
  });

  it('retriable-4xx retries a 409, and nothing else of 4xx', async () => {
    target2 = failing(1, () => 0, 409);
    await mesh.call('client', 'http://conflict.meshapps.internal/');
    expect(seen.target2).toBe(2);
    target2 = failing(1, () => 0, 429);
    await mesh.call('client', 'http://conflict.meshapps.internal/');
    expect(seen.target2).toBe(3);
  });

  it('a per-try timeout ends that attempt only; the retry answers', async () => {
    // 1 s per try = 300 ms here: ample for the second attempt even on a busy machine.
    speed = 0.3;
    let n = 0;
    target2 = (req, res) => (n++ === 0 ? hang(req, res) : ok(req, res));
    const answer = await mesh.call('client', 'http://retry.meshapps.internal/');
    expect(answer.status).toBe(200);
    expect(mesh.hops).toContainEqual(expect.objectContaining({ status: 200, attempts: 2 }));
  });

  it('the route timeout covers all retries: 504 UT before the retries run out', async () => {
    // 3 s = 900 ms here, 1 s per try 300 ms: a stall of a loaded worker cannot fire both at once.
    speed = 0.3;
    target2 = hang;
    expect(await mesh.call('client', 'http://all-hang.meshapps.internal/')).toEqual({
      status: 504,
      body: 'upstream request timeout',
    });
    // 3 s route timeout, 1 s per try (+ back-off): the route timeout cuts the retries short, so
    // 5 retries (6 attempts) are never reached. Whether the third attempt starts before the cut
    // depends on how fast each attempt connects on a loaded machine, so 2 or 3 attempts are right.
    const hop = mesh.hops.find((h) => h.host === 'all-hang.meshapps.internal');
    expect(hop).toEqual(expect.objectContaining({ status: 504, flags: 'UT' }));
    expect(hop?.attempts).toBeGreaterThanOrEqual(2);
    expect(hop?.attempts).toBeLessThanOrEqual(3);
    expect(seen.target2).toBeLessThanOrEqual(3);
  });

  it('the request body is buffered, so a retry sends it again', async () => {
    let n = 0;
    target2 = (req, res) => (n++ === 0 ? failing(1, () => 0)(req, res) : ok(req, res));
    const answer = await mesh.call('client', 'http://retry.meshapps.internal/', {
      method: 'POST',
      body: 'hello',
    });
    expect(answer.status).toBe(200);
    expect(seen.bodies).toEqual(['hello', 'hello']);
  });
});

describe('a client that leaves', () => {
  it('mid-delay: nothing is sent on, nothing crashes, the next request is answered', async () => {
    cancelled.length = 0;
    scheduled.length = 0;
    speed = 1; // the 2 s delay really lasts 2 s: the client leaves well inside it
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: mesh.port('client'),
        path: 'http://delay-and-timeout.meshapps.internal/',
        headers: { host: 'delay-and-timeout.meshapps.internal' },
      });
      req.on('error', () => resolve());
      req.end();
      // Leave once the sidecar holds the request in its delay (not after a fixed time).
      const leave = async () => {
        for (let i = 0; i < 500 && !scheduled.includes(2000); i++) await new Promise((r) => setTimeout(r, 5));
        req.destroy();
      };
      void leave();
    });
    // Positive marker first: the sidecar saw the client go and cancelled the 2 s delay…
    for (let i = 0; i < 200 && !cancelled.includes(2000); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cancelled).toContain(2000);
    // …and only that timer's end sends a delayed request on: nothing reached target2.
    expect(seen.target2).toBe(0);
    expect((await mesh.call('client', 'http://retry.meshapps.internal/')).status).toBe(200);
  });
});
