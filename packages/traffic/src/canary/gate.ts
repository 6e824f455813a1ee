import { percentileInterval, wilsonCorrected } from '@meshapps/measure';

/**
 * The canary gate: is the new destination good enough to take more traffic? Built on the same
 * Wilson intervals as `pnpm split:check`. Defaults follow Flagger's built-in checks (success rate
 * ≥ 99 %, a latency bound), but every decision needs evidence at the chosen confidence.
 */
export interface GateOptions {
  /** z of the confidence level (split-stats' zFor). */
  z: number;
  confidence: number;
  /** Goal, 0–1: fail once the success rate is shown to be below it. */
  success: number;
  /** Promote once the success rate is shown to be at least this, 0–1 (below `success`). */
  floor: number;
  /** p90 of the new destination may be this many times the old one's … */
  latencyFactor: number;
  /** … or this many ms above it, whichever is more (loopback noise is a few ms). */
  latencySlackMs: number;
}

/** One answer of the traffic the canary drives, attributed to the service that served it. */
export interface Answer {
  /** The serving service; undefined when the answer names none (e.g. refused before any app). */
  service: string | undefined;
  ok: boolean;
  status: number;
  ms: number;
}

export interface Interval {
  value: number;
  low: number;
  high: number;
}

export interface Figures {
  name: string;
  answers: number;
  ok: number;
  success: Interval | undefined;
  /** Latency of successful answers, ms. */
  p90: Interval | undefined;
}

export type Verdict =
  | { decision: 'pass' | 'fail'; reason: string }
  | { decision: 'undecided'; reason: string };

/**
 * Figures of one destination (or the old ones together) from this step's answers, in the order
 * they came. The first `untimed` answers count for success but not for latency: on Google Cloud
 * they are the new release's cold start (decision 071), which the warm current release never shows.
 */
export function figuresOf(name: string, answers: readonly Answer[], z: number, untimed = 0): Figures {
  const ok = answers.filter((a) => a.ok);
  const w = wilsonCorrected(ok.length, answers.length, z);
  return {
    name,
    answers: answers.length,
    ok: ok.length,
    success: answers.length > 0 ? { value: ok.length / answers.length, ...w } : undefined,
    p90: percentileInterval(
      answers
        .slice(untimed)
        .filter((a) => a.ok)
        .map((a) => a.ms),
      90,
      z,
    ),
  };
}

/**
 * The fewest answers, all clean, with which the gate can pass: the corrected Wilson interval's
 * lower bound of k of k reaches `floor`. 146 at the defaults (95 %, 99 % confidence).
 */
export function answersToPass(floor: number, z: number, max = 10_000_000): number {
  let k = 1;
  while (wilsonCorrected(k, k, z).low < floor) {
    if (k >= max) return Number.POSITIVE_INFINITY;
    k = k < 64 ? k + 1 : Math.ceil(k * 1.01);
  }
  // Back down to the exact smallest k.
  while (k > 1 && wilsonCorrected(k - 1, k - 1, z).low >= floor) k--;
  return k;
}

/**
 * The decision for one step so far, comparing the new destination with the old one(s):
 * - fail once its success rate is shown (at the chosen confidence) below the goal — or, when the
 *   current release itself misses the goal, below the current release's;
 * - fail once its p90 is shown above the latency bound;
 * - pass once its success rate is shown to be at least the floor (lowered the same way);
 * - otherwise it needs more traffic. `baseline` stands in for the old figures when the old gets no
 *   traffic (the 100 % step).
 */
export function judgeStep(
  fresh: Figures,
  old: Figures,
  baseline: Figures | undefined,
  opts: GateOptions,
): Verdict {
  const conf = `${opts.confidence * 100} % confidence`;
  const s = fresh.success;
  // Only a current release *shown* to miss the goal lowers the bar (a small sample of it does not).
  const reference = old.success ? old : baseline;
  const misses = reference?.success && reference.success.high < opts.success ? reference.success : undefined;
  const goal = misses ? misses.low : opts.success;
  const floor = misses ? Math.min(opts.floor, misses.low - (opts.success - opts.floor)) : opts.floor;
  const goalName =
    goal < opts.success
      ? `${reference?.name}'s ${pct(goal)} (below the ${pct(opts.success)} goal itself)`
      : `the ${pct(goal)} goal`;
  if (s && s.high < goal) {
    return {
      decision: 'fail',
      reason: `${fresh.name}'s success ${pct(s.value)} is below ${goalName} at ${conf} (at most ${pct(s.high)})`,
    };
  }
  // Latency is judged against an old p90 with a known upper bound (from this step, else the last).
  const base = bounded(old) ? old : bounded(baseline) ? baseline : undefined;
  const latencyJudged = fresh.p90 !== undefined && fresh.p90.low > 0 && base?.p90 !== undefined;
  if (latencyJudged && fresh.p90 && base?.p90) {
    const limit = Math.max(opts.latencyFactor * base.p90.high, base.p90.high + opts.latencySlackMs);
    if (fresh.p90.low > limit) {
      return {
        decision: 'fail',
        reason: `${fresh.name}'s p90 ${ms(fresh.p90.value)} is above ${ms(limit)} (${opts.latencyFactor} × ${base.name}'s ${ms(base.p90.high)}, or +${opts.latencySlackMs} ms) at ${conf}`,
      };
    }
  }
  if (s && s.low >= floor) {
    const latency = latencyJudged
      ? `; p90 within ${opts.latencyFactor} × ${base?.name}'s`
      : '; p90 not judged (too few answers to bound it)';
    return {
      decision: 'pass',
      reason: `${fresh.name}'s success is at least ${pct(floor)} at ${conf} (${pct(s.low)}–${pct(s.high)}), not shown below ${goalName}${latency}`,
    };
  }
  return {
    decision: 'undecided',
    reason: s
      ? `${fresh.name}'s success ${pct(s.value)} [${pct(s.low)}, ${pct(s.high)}] after ${fresh.answers} answers: neither at least ${pct(floor)} nor below ${pct(goal)} at ${conf}`
      : `no answer from ${fresh.name} yet`,
  };
}

/** Whether these figures bound their p90 from above (enough answers), so latency can be judged by them. */
export function bounded(f: Figures | undefined): boolean {
  return f?.p90 !== undefined && Number.isFinite(f.p90.high);
}

/** One line of figures: name, answers, success with interval, p90 with interval. */
export function formatFigures(f: Figures): string {
  const success = f.success
    ? `success ${pct(f.success.value).padStart(7)} [${pct(f.success.low).padStart(7)}, ${pct(f.success.high).padStart(7)}]`
    : 'success       –';
  const p90 = f.p90
    ? `p90 ${ms(f.p90.value).padStart(8)} [${ms(f.p90.low).padStart(8)}, ${ms(f.p90.high).padStart(8)}]`
    : 'p90 –';
  return `${f.name.padEnd(20)} ${String(f.answers).padStart(6)} answers  ${success}  ${p90}`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function ms(x: number): string {
  return x === Number.POSITIVE_INFINITY ? '∞' : `${x.toFixed(1)} ms`;
}
