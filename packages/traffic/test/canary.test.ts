import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zFor } from '@meshapps/measure';
import { ROUTES_DIR } from '@meshapps/mesh-config';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { type Answer, answersToPass, figuresOf, type GateOptions, judgeStep } from '../src/canary/gate.ts';
import { RouteEdited, RouteOwner } from '../src/canary/route-owner.ts';
import { canaryRule, weightsAt, withWeights } from '../src/canary/route-weights.ts';
import { roundSize, waitUntilServed } from '../src/canary/served.ts';
import type { Traffic } from '../src/canary/traffic.ts';
import { type CanaryPlan, stepRequests, walkCanary } from '../src/canary/walk.ts';

const targetYaml = readFileSync(join(ROUTES_DIR, 'target.yaml'), 'utf8');
const routeOf = (text: string) => parse(text);
const gate: GateOptions = {
  z: zFor(0.99),
  confidence: 0.99,
  success: 0.99,
  floor: 0.95,
  latencyFactor: 1.5,
  latencySlackMs: 5,
};

describe('route weights', () => {
  const rule = canaryRule(routeOf(targetYaml), 'target-green');

  it('finds the rule that splits between the new destination and the old', () => {
    expect(rule).toEqual({ rule: 0, services: ['target', 'target-green'], weights: [99, 1] });
    expect(() =>
      canaryRule(routeOf(readFileSync(join(ROUTES_DIR, 'target1.yaml'), 'utf8')), 'target-green'),
    ).toThrow(
      'route-target1 has no rule with target-green beside another destination: add target-green to the rule with weight: 0 first',
    );
  });

  it('gives the new destination its percent and the others the rest, in whole numbers adding up to 100', () => {
    expect([1, 10, 50, 100].map((p) => weightsAt(rule, 'target-green', p))).toEqual([
      [99, 1],
      [90, 10],
      [50, 50],
      [0, 100],
    ]);
    const three = { rule: 0, services: ['a', 'b', 'new'], weights: [2, 1, 0] };
    expect(weightsAt(three, 'new', 10)).toEqual([60, 30, 10]);
    expect(weightsAt({ ...three, weights: [undefined, undefined, undefined] }, 'new', 25)).toEqual([
      38, 37, 25,
    ]);
  });

  it('changes only the weight numbers in the file, so git diff shows exactly those', () => {
    const after = withWeights(targetYaml, 0, [90, 10]);
    const changed = after.split('\n').filter((line, i) => line !== targetYaml.split('\n')[i]);
    expect(changed).toEqual(['          weight: 90', '          weight: 10']);
    expect(withWeights(after, 0, [99, 1])).toBe(targetYaml);
  });

  it('adds weights to an unweighted rule', () => {
    const unweighted = targetYaml.replace(/\n\s+weight: \d+/g, '');
    expect(routeOf(withWeights(unweighted, 0, [90, 10])).rules[0].action.destinations).toMatchObject([
      { weight: 90 },
      { weight: 10 },
    ]);
  });
});

const answers = (service: string, n: number, opts: { failEvery?: number; ms?: number } = {}): Answer[] =>
  Array.from({ length: n }, (_, i) => ({
    service,
    ok: !(opts.failEvery && (i + 1) % opts.failEvery === 0),
    status: opts.failEvery && (i + 1) % opts.failEvery === 0 ? 500 : 200,
    ms: opts.ms ?? 3 + (i % 10) / 10,
  }));

describe('the gate', () => {
  const old = figuresOf('target', answers('target', 2000), gate.z);

  it("the p90 it judges is the repository's one percentile (nearest rank), as bench and soak print it", () => {
    const figures = figuresOf(
      'x',
      answers('x', 10).map((a, i) => ({ ...a, ms: i + 1 })),
      gate.z,
    );
    expect(figures.p90?.value).toBe(9);
  });

  it('one slow answer in the first few of a healthy release is not shown slower than the bound', () => {
    // The 1 % step's first look: the new release's first answer came during a GC pause.
    const fresh = figuresOf('target-green', answers('target-green', 1, { ms: 40 }), gate.z);
    expect(judgeStep(fresh, old, undefined, gate).decision).toBe('undecided');
    // Enough answers that slow are shown slow, as before.
    const slow = figuresOf('target-green', answers('target-green', 20, { ms: 40 }), gate.z);
    expect(judgeStep(slow, old, undefined, gate).decision).toBe('fail');
  });

  it('does not fail a release on one error in a handful of answers, but does on a share shown too high', () => {
    expect(
      judgeStep(
        figuresOf('target-green', answers('target-green', 6, { failEvery: 6 }), gate.z),
        old,
        undefined,
        gate,
      ),
    ).toMatchObject({ decision: 'undecided' });
    const failing = judgeStep(
      figuresOf('target-green', answers('target-green', 10, { failEvery: 5 }), gate.z),
      old,
      undefined,
      gate,
    );
    expect(failing.decision).toBe('fail');
    expect(failing.reason).toMatch(
      /^target-green's success 80\.0 % is below the 99\.0 % goal at 99 % confidence \(at most 9\d\.\d %\)$/,
    );
  });

  it('passes once the success rate is shown to be at least the floor (146 clean answers at 99 %, 95 %)', () => {
    const at = (n: number) =>
      judgeStep(figuresOf('target-green', answers('target-green', n), gate.z), old, undefined, gate);
    expect(at(145).decision).toBe('undecided');
    expect(at(146)).toMatchObject({
      decision: 'pass',
      reason: expect.stringContaining('at least 95.0 % at 99 % confidence'),
    });
  });

  it('fails a release shown slower than the latency bound, judged against the step before when the old gets no traffic', () => {
    const slow = figuresOf('target-green', answers('target-green', 200, { ms: 30 }), gate.z);
    const empty = figuresOf('target', [], gate.z);
    expect(judgeStep(slow, empty, old, gate)).toMatchObject({
      decision: 'fail',
      reason: expect.stringMatching(/^target-green's p90 30\.0 ms is above 8\.\d ms \(1\.5 × target's/),
    });
    expect(judgeStep(slow, empty, undefined, gate)).toMatchObject({
      decision: 'pass',
      reason: expect.stringContaining('; p90 not judged (too few answers to bound it)'),
    });
  });

  it('an old release with too few answers to bound its p90 does not switch the latency check off', () => {
    // A 99 % step: the old release answered once, so its p90 has no upper bound.
    const slow = figuresOf('target-green', answers('target-green', 200, { ms: 30 }), gate.z);
    const once = figuresOf('target', answers('target', 1), gate.z);
    expect(once.p90?.high).toBe(Number.POSITIVE_INFINITY);
    expect(judgeStep(slow, once, old, gate)).toMatchObject({
      decision: 'fail',
      reason: expect.stringMatching(/^target-green's p90 30\.0 ms is above 8\.\d ms/),
    });
    const healthy = figuresOf('target-green', answers('target-green', 200), gate.z);
    expect(judgeStep(healthy, once, old, gate).reason).toContain("; p90 within 1.5 × target's");
  });
});

/** A stand-in mesh: splits by the weights last applied, deterministically (largest deficit first). */
function fakeMesh(
  opts: {
    failEvery?: Record<string, number>;
    lagRequests?: number;
    ms?: Record<string, number>;
    /** The first `answers` of a service (from the start, and after each apply) take `ms`: a cold start. */
    cold?: Record<string, { answers: number; ms: number }>;
  } = {},
) {
  let weights = new Map<string, number>([
    ['target', 99],
    ['target-green', 1],
  ]);
  let pending: Map<string, number> | undefined;
  let lag = 0;
  const sent = new Map<string, number>();
  let total = 0;
  const applied: string[] = [];
  const traffic: Traffic = {
    async send(n) {
      const out: Answer[] = [];
      for (let i = 0; i < n; i++) {
        if (pending && lag-- <= 0) {
          weights = pending;
          pending = undefined;
        }
        total++;
        const sum = [...weights.values()].reduce((a, b) => a + b, 0);
        let pick = '';
        let deficit = Number.NEGATIVE_INFINITY;
        for (const [name, w] of weights) {
          const d = (total * w) / sum - (sent.get(name) ?? 0);
          if (w > 0 && d > deficit) [pick, deficit] = [name, d];
        }
        sent.set(pick, (sent.get(pick) ?? 0) + 1);
        const every = opts.failEvery?.[pick];
        const ok = !(every && (sent.get(pick) as number) % every === 0);
        const cold = opts.cold?.[pick];
        const ms =
          cold && (sent.get(pick) as number) <= cold.answers
            ? cold.ms
            : (opts.ms?.[pick] ?? 3 + (total % 7) / 10);
        out.push({ service: pick, ok, status: ok ? 200 : 500, ms });
      }
      return out;
    },
    close: async () => {},
  };
  return {
    traffic,
    applied,
    apply: async (text: string) => {
      applied.push(text);
      const dests = routeOf(text).rules[0].action.destinations as { serviceName: string; weight: number }[];
      // Like the watcher, the mesh takes a moment: the next few requests still see the old weights.
      pending = new Map(dests.map((d) => [d.serviceName.split('/').pop() as string, d.weight]));
      lag = opts.lagRequests ?? 30;
      sent.clear();
      total = 0;
    },
  };
}

const plan = (over: Partial<CanaryPlan> = {}): CanaryPlan => ({
  routeName: 'route-target',
  shownFile: 'infra/routes/target.yaml',
  original: targetYaml,
  rule: canaryRule(routeOf(targetYaml), 'target-green'),
  to: 'target-green',
  steps: [1, 10, 50, 100],
  gate,
  maxRequests: 20_000,
  batch: 200,
  warmUp: 0,
  settleTimeoutMs: 10_000,
  ...over,
});

describe('walkCanary', () => {
  it('walks a healthy release 1 → 10 → 50 → 100 and ends at 0/100, printing each step’s figures', async () => {
    const mesh = fakeMesh();
    const lines: string[] = [];
    const outcome = await walkCanary(plan(), {
      traffic: mesh.traffic,
      apply: mesh.apply,
      print: (l) => lines.push(l),
    });
    expect(outcome.ok).toBe(true);
    expect(mesh.applied).toHaveLength(3);
    expect(
      routeOf(outcome.text).rules[0].action.destinations.map((d: { weight: number }) => d.weight),
    ).toEqual([0, 100]);
    expect(lines.filter((l) => /^ {2}pass: /.test(l))).toHaveLength(4);
    expect(lines.filter((l) => /^ {2}target-green +\d+ answers +success/.test(l))).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('step 2/4'))).toBe(
      'step 2/4: target 90, target-green 10   (written to infra/routes/target.yaml)',
    );
    expect(lines.find((l) => l.includes('served after'))).toMatch(
      /served after \d+ requests: target 9\d\.\d %/,
    );
    expect(lines.at(-1)).toBe(
      'canary done: route-target at target 0, target-green 100; git diff infra/routes/target.yaml shows it',
    );
  });

  it('rolls back at the first step it can decide when 20 % of the new release fails, and restores the previous weights', async () => {
    const mesh = fakeMesh({ failEvery: { 'target-green': 5 } });
    const lines: string[] = [];
    const outcome = await walkCanary(plan({ steps: [10, 50, 100] }), {
      traffic: mesh.traffic,
      apply: mesh.apply,
      print: (l) => lines.push(l),
    });
    expect(outcome).toMatchObject({ ok: false, failedStep: 1, text: targetYaml });
    expect(mesh.applied.map((t) => t === targetYaml)).toEqual([false, true]);
    expect(lines.find((l) => l.startsWith('  FAIL: '))).toMatch(
      /^ {2}FAIL: target-green's success \d+\.\d % is below the 99\.0 % goal at 99 % confidence/,
    );
    expect(lines).toContain(
      'rolling back route-target to target 99, target-green 1 (infra/routes/target.yaml)',
    );
    expect(lines.at(-1)).toMatch(/^ {2}served again after \d+ requests$/);
  });

  it('a step still undecided after --max-requests fails: no evidence, no promotion', async () => {
    const mesh = fakeMesh();
    const lines: string[] = [];
    const outcome = await walkCanary(plan({ maxRequests: 1000 }), {
      traffic: mesh.traffic,
      apply: mesh.apply,
      print: (l) => lines.push(l),
    });
    expect(outcome).toMatchObject({ ok: false, failedStep: 1 });
    expect(lines.find((l) => l.startsWith('  FAIL: '))).toContain('undecided after 1000 requests');
    expect(mesh.applied).toEqual([]);
  });

  it('a cold new release: its first answers, slow, fail the latency gate unless they are its warm-up (--warm-up)', async () => {
    // The 1 % step as the route already is: judged from its first answer, no probing to warm it.
    const cold = { 'target-green': { answers: 15, ms: 2000 } };
    const judged = async (warmUp: number) => {
      const lines: string[] = [];
      const outcome = await walkCanary(plan({ steps: [1], warmUp }), {
        traffic: fakeMesh({ cold }).traffic,
        apply: async () => {},
        print: (l) => lines.push(l),
      });
      return { outcome, lines };
    };
    const untimed = await judged(0);
    expect(untimed.outcome.ok).toBe(false);
    expect(untimed.lines.find((l) => l.startsWith('  FAIL: '))).toMatch(
      /^ {2}FAIL: target-green's p90 2000\.0 ms is above/,
    );
    const warmed = await judged(20);
    expect(warmed.outcome.ok, warmed.lines.join('\n')).toBe(true);
    expect(warmed.lines.find((l) => l.startsWith('  pass: '))).toContain("p90 within 1.5 × target's");
  });

  it("needs, per step, the clean answers the gate passes on, at the step's share: ~15,000 at 1 %", () => {
    expect(answersToPass(0.95, zFor(0.99))).toBe(146);
    expect(answersToPass(0.9, zFor(0.9))).toBe(34);
    expect([1, 10, 50, 100].map((p) => stepRequests({ gate }, p))).toEqual([14600, 1460, 292, 146]);
  });

  it('a hand edit found when rolling back is kept: nothing rolled back over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshapps-canary-walk-'));
    const file = join(dir, 'target.yaml');
    writeFileSync(file, targetYaml);
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const owner = new RouteOwner(file, 'infra/routes/target.yaml', targetYaml);
    const mesh = fakeMesh({ failEvery: { 'target-green': 5 } });
    const edit = withWeights(targetYaml, 0, [70, 30]);
    let sends = 0;
    const lines: string[] = [];
    const outcome = await walkCanary(plan({ steps: [10, 50] }), {
      traffic: {
        send: async (n) => {
          if (++sends === 2) writeFileSync(file, edit); // someone edits while step 1 is judged
          return mesh.traffic.send(n);
        },
        close: async () => {},
      },
      apply: async (text) => {
        owner.write(text);
        await mesh.apply(text);
      },
      check: () => owner.check(),
      print: (l) => lines.push(l),
    });
    expect(outcome).toMatchObject({ ok: false, failedStep: 1, edited: expect.any(RouteEdited) });
    expect(readFileSync(file, 'utf8')).toBe(edit);
    expect(lines).toContain(
      'rolling back route-target to target 99, target-green 1 (infra/routes/target.yaml)',
    );
    expect(lines.at(-1)).toBe(
      'infra/routes/target.yaml was changed by hand during the walk (it holds target 70, target-green 30): the canary stops and leaves your edit in place — nothing written, nothing rolled back',
    );
  });

  it('stops when the mesh never serves the new weights, and says what it observed', async () => {
    const mesh = fakeMesh({ lagRequests: 1e9 });
    let now = 0;
    const lines: string[] = [];
    const outcome = await walkCanary(plan({ steps: [10] }), {
      traffic: mesh.traffic,
      apply: mesh.apply,
      print: (l) => lines.push(l),
      clock: () => (now += 1000),
    });
    expect(outcome.ok).toBe(false);
    expect(lines).toContainEqual(
      expect.stringMatching(/did not serve the new weights within 10 s; observed target 9\d\.\d %/),
    );
  });
});

describe('waitUntilServed', () => {
  it('sizes rounds so that old and new shares can be told apart', () => {
    const shares = (green: number) =>
      new Map([
        ['target', 1 - green],
        ['target-green', green],
      ]);
    expect(roundSize(shares(0.01), shares(0.1))).toBe(214);
    expect(roundSize(shares(0.5), shares(1))).toBe(100);
    expect(roundSize(shares(0.01), shares(0.011))).toBe(2000);
  });

  it('keeps probing until a round fits the new weights and not the old', async () => {
    const mesh = fakeMesh({ lagRequests: 300 });
    await mesh.apply(withWeights(targetYaml, 0, [90, 10]));
    const shares = (green: number) =>
      new Map([
        ['target', 1 - green],
        ['target-green', green],
      ]);
    const served = await waitUntilServed(mesh.traffic, shares(0.01), shares(0.1), 10_000);
    // Rounds of 214: the first two straddle the switch after 300 requests, the third shows it.
    expect(served).toMatchObject({ served: true, requests: 642 });
    expect(served.observed).toMatch(/^target 90\.\d % \[.*\], target-green \d+\.\d %/);
  });
});

describe('the gate against a current release that itself misses the goal', () => {
  const old = figuresOf('target', answers('target', 2000, { failEvery: 10 }), gate.z);

  it('promotes a new release as good as the current one, judged against the current one', () => {
    const same = figuresOf('target-green', answers('target-green', 400, { failEvery: 10 }), gate.z);
    expect(judgeStep(same, old, undefined, gate)).toMatchObject({
      decision: 'pass',
      reason: expect.stringContaining("not shown below target's 88.1 % (below the 99.0 % goal itself)"),
    });
  });

  it('fails a new release shown worse than the current one', () => {
    const worse = figuresOf('target-green', answers('target-green', 200, { failEvery: 4 }), gate.z);
    expect(judgeStep(worse, old, undefined, gate)).toMatchObject({
      decision: 'fail',
      reason: expect.stringMatching(
        /^target-green's success 75\.0 % is below target's 88\.1 % \(below the 99\.0 % goal itself\)/,
      ),
    });
  });
});
