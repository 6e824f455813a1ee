import {
  type Answer,
  answersToPass,
  bounded,
  type Figures,
  figuresOf,
  formatFigures,
  type GateOptions,
  judgeStep,
} from './gate.ts';
import { RouteEdited } from './route-owner.ts';
import { type CanaryRule, describeWeights, weightsAt, weightsIn, withWeights } from './route-weights.ts';
import { waitUntilServed } from './served.ts';
import type { Traffic } from './traffic.ts';

export interface CanaryPlan {
  routeName: string;
  /** As shown to the participant, e.g. infra/routes/target.yaml. */
  shownFile: string;
  /** The file's text before the canary. */
  original: string;
  rule: CanaryRule;
  to: string;
  /** Percent for `to` at each step, ascending. */
  steps: number[];
  gate: GateOptions;
  /** Requests per step at most; a step still undecided then fails (no evidence, no promotion). */
  maxRequests: number;
  /** Requests between two looks at the figures. */
  batch: number;
  /** Answers of the new destination per step judged for success but not timed (its cold start). */
  warmUp: number;
  /** After a step is served: print how many requests it needs and how long at the rate seen. */
  sayRate?: boolean;
  /** How long to wait for the mesh to serve new weights. */
  settleTimeoutMs: number;
}

export interface CanaryDeps {
  traffic: Traffic;
  /**
   * Puts the route text in force: writes the file (and, for the cloud, imports it). Throws
   * RouteEdited, writing nothing, when the file no longer holds what the canary last wrote.
   */
  apply: (text: string) => Promise<void>;
  /** Throws RouteEdited when the file no longer holds what the canary last wrote (before a step). */
  check?: () => void;
  print: (line: string) => void;
  clock?: () => number;
  /** Ctrl-C: stop after the current batch and put the previous weights back. */
  signal?: AbortSignal;
}

export interface CanaryOutcome {
  ok: boolean;
  /** The step (1-based) that failed, if any. */
  failedStep?: number;
  text: string;
  /** The walk stopped because the file was edited by hand; the edit was kept. */
  edited?: RouteEdited;
}

/**
 * The talk's "shift traffic step by step", with a gate: each step writes the weights, waits until
 * the mesh serves them, then judges the new destination on live traffic. Pass → next step; fail →
 * the previous weights go back and the walk stops.
 */
export async function walkCanary(plan: CanaryPlan, deps: CanaryDeps): Promise<CanaryOutcome> {
  const clock = deps.clock ?? (() => performance.now());
  const say = deps.print;
  let current = plan.original;
  let currentWeights: (number | undefined)[] = plan.rule.weights;
  let baseline: Figures | undefined;

  for (const [i, percent] of plan.steps.entries()) {
    const label = `step ${i + 1}/${plan.steps.length}`;
    const weights = weightsAt(plan.rule, plan.to, percent);
    const text = withWeights(current, plan.rule.rule, weights);
    const changed = text !== current;
    // Every way this step can fail puts the same previous weights back.
    const rollBackStep = () =>
      rollBack(plan, deps, {
        step: i + 1,
        previous: current,
        previousWeights: currentWeights,
        weights,
        changed,
      });
    if (changed) {
      // A hand edit since the last write stops the walk before it announces a step it will not write.
      try {
        deps.check?.();
      } catch (err) {
        if (err instanceof RouteEdited) return handEdited(plan, deps, err, i + 1);
        throw err;
      }
    }
    say(
      `${label}: ${describeWeights(plan.rule, weights)}${changed ? `   (written to ${plan.shownFile})` : '   (as the route already is)'}`,
    );
    if (changed) {
      try {
        await deps.apply(text);
      } catch (err) {
        if (err instanceof RouteEdited) return handEdited(plan, deps, err, i + 1);
        say(`  could not put the step in force: ${(err as Error).message}`);
        return rollBackStep();
      }
    }
    const settleStarted = clock();
    const served = await waitUntilServed(
      deps.traffic,
      shares(plan.rule, currentWeights),
      shares(plan.rule, weights),
      plan.settleTimeoutMs,
      clock,
      deps.signal,
    );
    if (!served.served && deps.signal?.aborted) {
      say('  interrupted while waiting for the mesh to serve the step');
      return rollBackStep();
    }
    if (!served.served) {
      say(
        `  the mesh did not serve the new weights within ${plan.settleTimeoutMs / 1000} s; observed ${served.observed || 'no answer'}`,
      );
      return rollBackStep();
    }
    if (changed)
      say(`  served after ${served.requests} requests${served.observed ? `: ${served.observed}` : ''}`);
    const settleSeconds = (clock() - settleStarted) / 1000;
    if (plan.sayRate && served.requests > 0 && settleSeconds > 0) {
      const rate = served.requests / settleSeconds;
      const needed = stepRequests(plan, percent);
      say(
        `  this step needs at least ${needed} requests: at the rate so far (${Math.round(rate)} req/s) ~${Math.ceil(needed / rate)} s`,
      );
    }

    const started = clock();
    const answers: Answer[] = [];
    let verdict: ReturnType<typeof judgeStep> = { decision: 'undecided', reason: 'no traffic yet' };
    let fresh: Figures | undefined;
    let old: Figures | undefined;
    while (verdict.decision === 'undecided' && answers.length < plan.maxRequests && !deps.signal?.aborted) {
      answers.push(...(await deps.traffic.send(Math.min(plan.batch, plan.maxRequests - answers.length))));
      fresh = figuresOf(
        plan.to,
        answers.filter((a) => a.service === plan.to),
        plan.gate.z,
        plan.warmUp,
      );
      old = figuresOf(
        plan.rule.services.filter((s) => s !== plan.to).join('+'),
        answers.filter((a) => a.service !== undefined && a.service !== plan.to),
        plan.gate.z,
      );
      verdict = judgeStep(fresh, old, baseline, plan.gate);
    }
    const seconds = ((clock() - started) / 1000).toFixed(1);
    if (fresh) say(`  ${formatFigures(fresh)}`);
    if (old && (old.answers > 0 || !baseline)) say(`  ${formatFigures(old)}`);
    else if (baseline) say(`  ${formatFigures(baseline)}   (from the step before: no traffic to it now)`);
    const unnamed = answers.filter((a) => a.service === undefined);
    if (unnamed.length > 0)
      say(`  ${unnamed.length} failed answers name no service (${statuses(unnamed)}): not judged`);
    if (deps.signal?.aborted) {
      say(`  interrupted after ${answers.length} requests`);
      return rollBackStep();
    }
    if (verdict.decision !== 'pass') {
      const why =
        verdict.decision === 'undecided'
          ? `undecided after ${answers.length} requests (${verdict.reason}); no evidence, no promotion — raise --max-requests or start with a larger step`
          : verdict.reason;
      say(`  FAIL: ${why}   (${answers.length} requests, ${seconds} s)`);
      return rollBackStep();
    }
    say(`  pass: ${verdict.reason}   (${answers.length} requests, ${seconds} s)`);
    // The step before stands in for the old release once it gets no traffic, if it bounds its p90.
    if (old && old.answers > 0 && bounded(old)) baseline = old;
    current = text;
    currentWeights = weights;
  }
  say(
    `canary done: ${plan.routeName} at ${describeWeights(plan.rule, currentWeights)}; git diff ${plan.shownFile} shows it`,
  );
  return { ok: true, text: current };
}

/** Puts the weights in force before the failed step back (byte for byte) and waits until served. */
async function rollBack(
  plan: CanaryPlan,
  deps: CanaryDeps,
  at: {
    step: number;
    previous: string;
    previousWeights: (number | undefined)[];
    weights: number[];
    changed: boolean;
  },
): Promise<CanaryOutcome> {
  deps.print(
    `rolling back ${plan.routeName} to ${describeWeights(plan.rule, at.previousWeights)} (${plan.shownFile})`,
  );
  if (at.changed) {
    try {
      await deps.apply(at.previous);
    } catch (err) {
      if (err instanceof RouteEdited) return handEdited(plan, deps, err, at.step);
      deps.print(`  could not put the previous weights back: ${(err as Error).message} — do it by hand`);
      return { ok: false, failedStep: at.step, text: at.previous };
    }
    const served = await waitUntilServed(
      deps.traffic,
      shares(plan.rule, at.weights),
      shares(plan.rule, at.previousWeights),
      plan.settleTimeoutMs,
      deps.clock,
    );
    deps.print(
      served.served
        ? `  served again after ${served.requests} requests`
        : `  written, but not yet served after ${plan.settleTimeoutMs / 1000} s (observed ${served.observed})`,
    );
  }
  return { ok: false, failedStep: at.step, text: at.previous };
}

/** A hand edit during the walk: stop, write nothing, keep the edit, and say what the file holds. */
function handEdited(plan: CanaryPlan, deps: CanaryDeps, edit: RouteEdited, step: number): CanaryOutcome {
  const holds =
    edit.holds === undefined
      ? 'it is gone or no longer a regular file'
      : `it holds ${describeHeld(plan, edit.holds)}`;
  deps.print(
    `${plan.shownFile} was changed by hand during the walk (${holds}): the canary stops and leaves your edit in place — nothing written, nothing rolled back`,
  );
  return { ok: false, failedStep: step, text: edit.holds ?? '', edited: edit };
}

/** "target 90, target-green 10", or why the text shows no weights for the canary's rule. */
export function describeHeld(plan: Pick<CanaryPlan, 'rule'>, text: string): string {
  const weights = weightsIn(text, plan.rule.rule);
  return weights ? describeWeights(plan.rule, weights) : 'a route the canary cannot read weights from';
}

/**
 * Requests a step needs at least to pass: the clean answers the gate passes on, at the step's share.
 * (Warm-up answers count among them for success; they are only left out of the p90.)
 */
export function stepRequests(plan: Pick<CanaryPlan, 'gate'>, percent: number): number {
  if (percent === 0) return 0;
  return Math.ceil((answersToPass(plan.gate.floor, plan.gate.z) * 100) / percent);
}

/** Shares by service from weights (unweighted: equal). */
export function shares(rule: CanaryRule, weights: readonly (number | undefined)[]): Map<string, number> {
  const w = rule.services.map((_, i) => weights[i] ?? 1);
  const total = w.reduce((a, b) => a + b, 0);
  const out = new Map<string, number>();
  rule.services.forEach((s, i) => {
    out.set(s, (out.get(s) ?? 0) + (total > 0 ? (w[i] ?? 0) / total : 0));
  });
  return out;
}

function statuses(answers: readonly Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a.status === 0 ? 'no answer' : `HTTP ${a.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}
