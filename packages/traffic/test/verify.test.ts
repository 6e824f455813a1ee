import { readFileSync } from 'node:fs';
import {
  checkRoutes,
  loadRoutes,
  loadTopology,
  parseTopology,
  ROUTES_DIR,
  routeFilesIn,
  TOPOLOGY_FILE,
} from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import type { RawAnswer } from '../src/send.ts';
import { type Check, DEMOS, planChecks } from '../src/verify/demos.ts';
import { expectCall, type MeshFiles } from '../src/verify/expect.ts';
import { judgeCheck, judgeTraceIds } from '../src/verify/judge.ts';
import { runVerify } from '../src/verify/run.ts';

// pnpm verify's parts, without a stack: what it expects (from the repository's files), how it
// judges answers, and how it runs (an injected clock and sender). verify-stack.test.ts runs the
// command itself against pnpm start.
const topology = loadTopology(TOPOLOGY_FILE);
const repo: MeshFiles = { topology, routes: loadRoutes(ROUTES_DIR, topology) };
const topologyText = readFileSync(TOPOLOGY_FILE, 'utf8');
/** The repository's files with one edit to the topology or to one route file. */
function edited(edit: {
  topology?: (t: string) => string;
  route?: [string, (t: string) => string];
}): MeshFiles {
  const t = parseTopology((edit.topology ?? ((x) => x))(topologyText), TOPOLOGY_FILE);
  const files = routeFilesIn(ROUTES_DIR).map((file) => {
    const text = readFileSync(file, 'utf8');
    return { file, text: edit.route && file.endsWith(edit.route[0]) ? edit.route[1](text) : text };
  });
  return { topology: t, routes: checkRoutes(files, t) };
}
const checksOf = (files: MeshFiles) => planChecks(files).filter((c): c is Check => 'expected' in c);

describe('what verify expects, derived from the topology and the routes', () => {
  it('the chains, the 403, the splits and the A/B as the repository declares them', () => {
    const keys = (hops: string[], headers?: Record<string, string>) =>
      expectCall(
        repo,
        hops.map((h) => `${h}.meshapps.internal`),
        headers,
      ).map((e) => [e.key, e.share]);
    expect(keys(['proxy'])).toEqual([['client <- proxy', 1]]);
    expect(keys(['proxy', 'target1'])).toEqual([['client <- proxy <- target1', 1]]);
    expect(keys(['target1'])).toEqual([['403 at client -> target1.meshapps.internal', 1]]);
    expect(keys(['proxy', 'target2'])).toEqual([['403 at proxy -> target2.meshapps.internal', 1]]);
    expect(keys(['target23'])).toEqual([
      ['client <- target2', 0.5],
      ['client <- target3', 0.5],
    ]);
    expect(keys(['target'])).toEqual([
      ['client <- target', 0.99],
      ['client <- target-green', 0.01],
    ]);
    expect(keys(['ab'], { 'x-variant': 'green' })).toEqual([['client <- target-green', 1]]);
    expect(keys(['ab'], { 'X-Variant': 'green' })).toEqual([['client <- target-green', 1]]);
    expect(keys(['ab'])).toEqual([['client <- target', 1]]);
    expect(keys(['nosuch'])).toEqual([['404 at client -> nosuch.meshapps.internal', 1]]);
    expect(expectCall(repo, ['target1.meshapps.internal'])[0]?.because).toBe(
      'route-target1 → target1; target1 invokers: proxy (not client)',
    );
  });

  it('follows an edited file: no second copy of any expectation', () => {
    const split9010 = edited({
      route: [
        'target23.yaml',
        (t) => t.replace('weight: 50', 'weight: 90').replace('weight: 50', 'weight: 10'),
      ],
    });
    expect(expectCall(split9010, ['target23.meshapps.internal']).map((e) => e.share)).toEqual([0.9, 0.1]);
    const open = edited({ topology: (t) => t.replace('invokers: [proxy]', 'invokers: [proxy, client]') });
    expect(expectCall(open, ['target1.meshapps.internal']).map((e) => e.key)).toEqual(['client <- target1']);
  });

  it('plans each demo with a bounded, stated number of requests: 1,092 in all', () => {
    const checks = checksOf(repo);
    expect(checks.map((c) => [c.path, c.headers, c.requests])).toEqual([
      ['/call/proxy.meshapps.internal', {}, 31],
      ['/call/proxy.meshapps.internal/target1.meshapps.internal', {}, 31],
      ['/call/target1.meshapps.internal', {}, 31],
      ['/call/target23.meshapps.internal', {}, 249],
      ['/call/target.meshapps.internal', {}, 688],
      ['/call/ab.meshapps.internal', { 'x-variant': 'green' }, 31],
      ['/call/ab.meshapps.internal', {}, 31],
    ]);
    expect(checks.reduce((a, c) => a + c.requests, 0)).toBe(1092);
    expect(new Set(checks.map((c) => c.call.demo))).toEqual(new Set([1, 3, 4]));
    expect(DEMOS).toHaveLength(6);
  });

  it('a demo the files no longer hold is a miss before any request, naming the demo', () => {
    const open = edited({ topology: (t) => t.replace('invokers: [proxy]', 'invokers: [proxy, client]') });
    const misses = planChecks(open).filter((c) => !('expected' in c));
    expect(misses).toEqual([
      expect.objectContaining({
        path: '/call/target1.meshapps.internal',
        reason: expect.stringContaining('the topology lets this call through (client <- target1 (100.0 %))'),
      }),
    ]);
    const unsplit = edited({
      route: [
        'target23.yaml',
        (t) => t.replace('weight: 50', 'weight: 100').replace('weight: 50', 'weight: 0'),
      ],
    });
    expect(planChecks(unsplit).find((c) => !('expected' in c))).toMatchObject({
      call: { title: 'weighted split' },
      reason: expect.stringContaining('not a split between services'),
    });
  });
});

const answer = (status: number, body: unknown, traceId = randomTrace()): RawAnswer => ({
  status,
  body,
  traceId,
  ms: 1,
});
let traceCounter = 0;
function randomTrace(): string {
  traceCounter++;
  return traceCounter.toString(16).padStart(32, 'a');
}
const ok = (message: string) => answer(200, { message });
const times = (n: number, make: () => RawAnswer) => Array.from({ length: n }, make);
const checkFor = (path: string, headers: Record<string, string> = {}) =>
  checksOf(repo).find(
    (c) => c.path === path && JSON.stringify(c.headers) === JSON.stringify(headers),
  ) as Check;

describe('judging the answers of one check', () => {
  it('one possible answer: every answer must be it', () => {
    const chain = checkFor('/call/proxy.meshapps.internal/target1.meshapps.internal');
    expect(
      judgeCheck(
        chain,
        times(31, () => ok('client <- proxy <- target1')),
      ),
    ).toMatchObject({ ok: true });
    const one500 = [
      ...times(30, () => ok('client <- proxy <- target1')),
      answer(500, {
        error: { status: 500, hop: 'proxy -> target1.meshapps.internal', chain: ['client', 'proxy'] },
      }),
    ];
    const result = judgeCheck(chain, one500);
    expect(result.ok).toBe(false);
    expect(result.misses).toEqual(['1 of 31 answers were 500 at proxy -> target1.meshapps.internal']);
    expect(result.lines).toContain(
      '  came      500 at proxy -> target1.meshapps.internal × 1   NOT EXPECTED',
    );
  });

  it('a split: each share within its interval, each destination seen', () => {
    const target23 = checkFor('/call/target23.meshapps.internal');
    const split = (a: number) => [
      ...times(a, () => ok('client <- target2')),
      ...times(249 - a, () => ok('client <- target3')),
    ];
    expect(judgeCheck(target23, split(125)).ok).toBe(true);
    const skewed = judgeCheck(target23, split(224));
    expect(skewed.ok).toBe(false);
    expect(skewed.misses[0]).toMatch(
      /^client <- target2 came 90\.0 % \[\d+\.\d %, \d+\.\d %\], expected 50\.0 %/,
    );

    const canary = checkFor('/call/target.meshapps.internal');
    const green = (k: number) => [
      ...times(688 - k, () => ok('client <- target')),
      ...times(k, () => ok('client <- target-green')),
    ];
    expect(judgeCheck(canary, green(7)).ok).toBe(true);
    // 0 of 688 is inside the 1 % interval, but a 1 % destination misses 688 requests once in 1,000.
    expect(judgeCheck(canary, green(0)).misses).toEqual([
      'client <- target-green never answered in 688 requests (expected 1.0 %)',
    ]);
    expect(judgeCheck(canary, green(69)).ok).toBe(false);
  });

  it('a check cut short by the time limit is a miss', () => {
    const chain = checkFor('/call/proxy.meshapps.internal');
    expect(
      judgeCheck(
        chain,
        times(5, () => ok('client <- proxy')),
      ).misses,
    ).toEqual(['only 5 of 31 requests were sent (time limit)']);
  });

  it('demo 5: a trace id on every answer, each its own', () => {
    expect(judgeTraceIds(times(3, () => ok('x'))).ok).toBe(true);
    const missing = judgeTraceIds([
      ok('x'),
      { ...ok('x'), traceId: undefined },
      { ...ok('x'), traceId: '0'.repeat(32) },
    ]);
    expect(missing.misses).toEqual(['2 of 3 answers carry no valid x-trace-id']);
    const same = judgeTraceIds([ok('x'), ok('x')].map((a) => ({ ...a, traceId: 'b'.repeat(32) })));
    expect(same.misses).toEqual(["1 answers repeat another answer's trace id"]);
  });
});

describe('a run', () => {
  /**
   * A stand-in load balancer answering as the repository declares — splits exactly by share (each
   * answer goes to the outcome furthest behind its share) — or as `wrong` says. 10 ms per answer.
   */
  function fakeSend(
    clock: { now: number },
    wrong: (path: string) => RawAnswer | undefined = () => undefined,
  ) {
    const sent: string[] = [];
    const send = async (
      path: string,
      n: number,
      headers: Record<string, string>,
      onAnswer: (d: number) => void,
    ) => {
      const check = checkFor(path, headers);
      const given = new Map<string, number>();
      const out: RawAnswer[] = [];
      for (let i = 0; i < n; i++) {
        clock.now += 10;
        sent.push(path);
        const next = [...check.expected].sort(
          (a, b) =>
            b.share * (i + 1) - (given.get(b.key) ?? 0) - (a.share * (i + 1) - (given.get(a.key) ?? 0)),
        )[0];
        if (!next) throw new Error(`nothing expected for ${path}`);
        given.set(next.key, (given.get(next.key) ?? 0) + 1);
        const o = next.outcome;
        out.push(
          wrong(path) ?? ('message' in o ? ok(o.message) : answer(o.status, { error: { hop: o.hop } })),
        );
        onAnswer(out.length);
      }
      return out;
    };
    return { sent, send };
  }

  it('prints each demo, what it expected and what came, progress on long checks, and passes', async () => {
    const clock = { now: 0 };
    const lines: string[] = [];
    const fake = fakeSend(clock);
    const outcome = await runVerify(planChecks(repo), {
      send: fake.send,
      print: (l) => lines.push(l),
      clock: () => clock.now,
      signal: new AbortController().signal,
    });
    expect(outcome, lines.join('\n')).toMatchObject({ ok: true, misses: [], requests: 1092 });
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}plan: 7 checks, 1092 requests; each decides at 99\.9 %/),
    );
    expect(lines).toContainEqual('  … 500 of 688 (8.4 s)');
    expect(lines.filter((l) => /^demo \d/.test(l)).map((l) => l.replace(/ {3}\d+ requests.*/, ''))).toEqual([
      'demo 1  a plain GET through the mesh (route-proxy): GET /call/proxy.meshapps.internal',
      'demo 1  a chain of two hops (route-target1): GET /call/proxy.meshapps.internal/target1.meshapps.internal',
      'demo 3  IAM: a call the topology forbids answers 403 (route-target1): GET /call/target1.meshapps.internal',
      'demo 4  weighted split (route-target23): GET /call/target23.meshapps.internal',
      'demo 4  canary split (route-target): GET /call/target.meshapps.internal',
      'demo 4  header A/B (route-ab): GET /call/ab.meshapps.internal with x-variant: green',
      'demo 4  header A/B (route-ab): GET /call/ab.meshapps.internal with no x-variant header',
      'demo 5  one trace per request: every answer names its trace',
    ]);
    expect(lines.at(-1)).toBe(
      'verify: every demo answers as the repository declares (1092 requests in 10.9 s)',
    );
  });

  it('runs every check after a miss and names each demo that missed', async () => {
    const clock = { now: 0 };
    const lines: string[] = [];
    const fake = fakeSend(clock, (path) =>
      path.endsWith('/target1.meshapps.internal') && !path.includes('proxy')
        ? ok('client <- target1')
        : undefined,
    );
    const outcome = await runVerify(planChecks(repo), {
      send: fake.send,
      print: (l) => lines.push(l),
      clock: () => clock.now,
      signal: new AbortController().signal,
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.requests).toBe(1092);
    expect(outcome.misses).toEqual([
      'demo 3 (IAM: a call the topology forbids answers 403, route-target1): 31 of 31 answers were 200 {"message":"client <- target1"}',
    ]);
    expect(lines).toContain('verify: 1 miss (1092 requests in 10.9 s):');
  });

  it('stops starting requests at the time limit; what did not run is a miss', async () => {
    const clock = { now: 0 };
    const limit = new AbortController();
    const fake = fakeSend(clock);
    const lines: string[] = [];
    const outcome = await runVerify(planChecks(repo), {
      send: async (path, n, headers, onAnswer) => {
        const answers = await fake.send(path, n, headers, onAnswer);
        if (path.includes('target23')) limit.abort();
        return answers;
      },
      print: (l) => lines.push(l),
      clock: () => clock.now,
      signal: limit.signal,
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.misses).toEqual([
      'demo 4 (canary split, route-target): not run (time limit)',
      'demo 4 (header A/B, route-ab with x-variant: green): not run (time limit)',
      'demo 4 (header A/B, route-ab with no x-variant header): not run (time limit)',
    ]);
    expect(fake.sent).toHaveLength(31 * 3 + 249);
  });
});
