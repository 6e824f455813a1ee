import type { RawAnswer } from '../send.ts';
import { type Check, CONFIDENCE, FAULT_SHARE, type PremiseMiss, SPLIT_SHIFT } from './demos.ts';
import { judgeCheck, judgeTraceIds } from './judge.ts';

export interface VerifyDeps {
  /** Sends `n` GETs to `path` (with `headers`) through the load balancer; `onAnswer` after each. */
  send: (
    path: string,
    n: number,
    headers: Record<string, string>,
    onAnswer: (done: number) => void,
  ) => Promise<RawAnswer[]>;
  print: (line: string) => void;
  /** ms; injected in tests. */
  clock: () => number;
  /** The time limit: once aborted, no further request starts. */
  signal: AbortSignal;
}

export interface VerifyOutcome {
  ok: boolean;
  /** `demo 3 (…): why`, one per miss. */
  misses: string[];
  requests: number;
}

/** How often a long check says how far it got. */
const PROGRESS_EVERY_MS = 5000;

/**
 * The pre-flight: each check in order, printed as it runs (what it expected, what came), then the
 * trace ids of every answer (demo 5). Every check runs even after a miss, so one run names every
 * demo that misses.
 */
export async function runVerify(
  plan: readonly (Check | PremiseMiss)[],
  deps: VerifyDeps,
): Promise<VerifyOutcome> {
  const say = deps.print;
  const checks = plan.filter((c): c is Check => 'expected' in c);
  const total = checks.reduce((a, c) => a + c.requests, 0);
  const started = deps.clock();
  say(
    `  plan: ${checks.length} checks, ${total} requests; each decides at ${CONFIDENCE * 100} %: a fault on ${FAULT_SHARE * 100} % of a call's answers, a split ${SPLIT_SHIFT * 100} points off, or a destination that gets nothing shows with probability ≥ ${CONFIDENCE * 100} %`,
  );
  say('  demo 2 (the two calls side by side) is code, not a call: nothing to verify on a deployment');
  const misses: string[] = [];
  const all: RawAnswer[] = [];
  for (const item of plan) {
    const name = nameOf(item);
    if (!('expected' in item)) {
      say(`demo ${item.call.demo}  ${item.call.title}: GET ${item.path}`);
      say(`  the repository's files do not hold this demo: ${item.reason}`);
      misses.push(`${name}: ${item.reason}`);
      continue;
    }
    const heading = `demo ${item.call.demo}  ${item.call.title}${item.route ? ` (${item.route})` : ''}: GET ${item.path}${headerText(item)}`;
    if (deps.signal.aborted) {
      say(`${heading}   not run: time limit`);
      misses.push(`${name}: not run (time limit)`);
      continue;
    }
    say(`${heading}   ${item.requests} requests, ${all.length} of ${total} sent so far`);
    let lastProgress = deps.clock();
    const answers = await deps.send(item.path, item.requests, item.headers, (done) => {
      if (deps.clock() - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = deps.clock();
      say(`  … ${done} of ${item.requests} (${seconds(deps.clock() - started)} s)`);
    });
    all.push(...answers);
    const result = judgeCheck(item, answers);
    for (const line of result.lines) say(line);
    say(result.ok ? '  ok' : '  MISS');
    misses.push(...result.misses.map((m) => `${name}: ${m}`));
  }
  const traces = judgeTraceIds(all);
  say('demo 5  one trace per request: every answer names its trace');
  for (const line of traces.lines) say(line);
  say(traces.ok ? '  ok' : '  MISS');
  misses.push(...traces.misses.map((m) => `demo 5 (one trace per request): ${m}`));
  const time = `${all.length} requests in ${seconds(deps.clock() - started)} s`;
  if (misses.length === 0) say(`verify: every demo answers as the repository declares (${time})`);
  else {
    say(`verify: ${misses.length} ${misses.length === 1 ? 'miss' : 'misses'} (${time}):`);
    for (const m of misses) say(`  ${m}`);
  }
  return { ok: misses.length === 0, misses, requests: all.length };
}

function nameOf(item: Check | PremiseMiss): string {
  const route = 'route' in item && item.route ? `, ${item.route}` : '';
  const headers = 'headers' in item ? headerText(item) : '';
  return `demo ${item.call.demo} (${item.call.title}${route}${headers})`;
}

function headerText(check: Check): string {
  const entries = Object.entries(check.headers);
  if (entries.length > 0) return ` with ${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}`;
  return check.variant ? ` with ${check.variant}` : '';
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
