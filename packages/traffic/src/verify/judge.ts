import { judge } from '@meshapps/measure';
import type { RawAnswer } from '../send.ts';
import { type Check, Z } from './demos.ts';
import type { ExpectedOutcome } from './expect.ts';

export interface CheckResult {
  ok: boolean;
  /** What to print under the check's heading. */
  lines: string[];
  /** Why it failed, one line each (empty when ok). */
  misses: string[];
}

/** How an answer is counted: its chain message, its status at the hop it names, or why none came. */
function answerKey(a: RawAnswer): string {
  if (a.status === 0) return `no answer (${a.error ?? 'unknown'})`;
  const body = a.body as { message?: unknown; error?: { hop?: unknown } } | undefined;
  if (a.status === 200 && typeof body?.message === 'string') return body.message;
  const hop = body?.error?.hop;
  return typeof hop === 'string' ? `${a.status} at ${hop}` : `${a.status}`;
}

/** An answer as curl would show its body, shortened: for the "came" lines. */
function shown(key: string, expected: readonly ExpectedOutcome[]): string {
  const known = expected.find((e) => e.key === key);
  if (known && 'message' in known.outcome) return `200 ${JSON.stringify({ message: known.outcome.message })}`;
  if (known) return key;
  return /^(\d{3}|no answer)/.test(key) ? key : `200 ${JSON.stringify({ message: key })}`;
}

/**
 * Every answer must be one the files allow. A call with one possible answer must give it every
 * time; a split must give each declared answer at least once, and each share must lie within its
 * interval (`split:check`'s statistics, at the pre-flight's confidence).
 */
export function judgeCheck(check: Check, answers: readonly RawAnswer[]): CheckResult {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(answerKey(a), (counts.get(answerKey(a)) ?? 0) + 1);
  const expectedKeys = new Set(check.expected.map((e) => e.key));
  const lines: string[] = [];
  const misses: string[] = [];
  const n = answers.length;
  if (n < check.requests) misses.push(`only ${n} of ${check.requests} requests were sent (time limit)`);
  const strays = [...counts].filter(([k]) => !expectedKeys.has(k)).sort((a, b) => b[1] - a[1]);

  if (check.expected.length === 1) {
    const e = check.expected[0] as ExpectedOutcome;
    lines.push(`  expected  ${shown(e.key, check.expected)}   (${e.because})`);
    for (const [k, c] of [...counts].sort((a, b) => b[1] - a[1]))
      lines.push(
        `  came      ${shown(k, check.expected)} × ${c}${expectedKeys.has(k) ? '' : '   NOT EXPECTED'}`,
      );
    if (n === 0) lines.push('  came      nothing');
  } else {
    const shares = new Map(check.expected.map((e) => [e.key, e.share]));
    const judged = judge(counts, n, shares, Z);
    for (const e of check.expected) {
      const v = judged.find((j) => j.name === e.key);
      const c = counts.get(e.key) ?? 0;
      const fits = v?.ok === true && c > 0;
      lines.push(
        `  ${e.key.padEnd(28)} expected ${pct(e.share).padStart(6)}   came ${String(c).padStart(4)} of ${n} = ${pct(n ? c / n : 0).padStart(6)} [${pct(v?.low ?? 0)}, ${pct(v?.high ?? 1)}]${fits ? '' : '   OUTSIDE'}`,
      );
      if (c === 0 && n > 0)
        misses.push(`${e.key} never answered in ${n} requests (expected ${pct(e.share)})`);
      else if (!fits)
        misses.push(
          `${e.key} came ${pct(c / n)} [${pct(v?.low ?? 0)}, ${pct(v?.high ?? 1)}], expected ${pct(e.share)} (${e.because})`,
        );
    }
    for (const [k, c] of strays) lines.push(`  ${shown(k, check.expected)} × ${c}   NOT EXPECTED`);
  }
  for (const [k, c] of strays) misses.push(`${c} of ${n} answers were ${shown(k, check.expected)}`);
  const exampleOfStray = strays.length > 0 ? answers.find((a) => answerKey(a) === strays[0]?.[0]) : undefined;
  if (exampleOfStray?.body !== undefined)
    lines.push(`  e.g.      ${JSON.stringify(exampleOfStray.body).slice(0, 300)}`);
  return { ok: misses.length === 0, lines, misses };
}

/** Demo 5: every answer carries a trace id (`x-trace-id`, 32 hex digits), each its own. */
export function judgeTraceIds(answers: readonly RawAnswer[]): CheckResult {
  const answered = answers.filter((a) => a.status !== 0);
  const valid = answered.filter(
    (a) => a.traceId && /^[0-9a-f]{32}$/.test(a.traceId) && !/^0+$/.test(a.traceId),
  );
  const distinct = new Set(valid.map((a) => a.traceId)).size;
  const misses: string[] = [];
  if (answered.length === 0) misses.push('no answer came to look for a trace id in');
  if (valid.length < answered.length)
    misses.push(`${answered.length - valid.length} of ${answered.length} answers carry no valid x-trace-id`);
  if (distinct < valid.length)
    misses.push(`${valid.length - distinct} answers repeat another answer's trace id`);
  return {
    ok: misses.length === 0,
    lines: [`  x-trace-id on ${valid.length} of ${answered.length} answers, ${distinct} distinct`],
    misses,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
