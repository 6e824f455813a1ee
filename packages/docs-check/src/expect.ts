/**
 * Documented output against real output, line by line. Everything is literal except the
 * placeholders below, written in the block itself where a value varies from run to run — there is
 * no global loosening (no whitespace folding, no "contains"). Trailing spaces of a line and
 * trailing blank lines are not compared (editors strip them).
 *
 *   <trace-id>    32 lowercase hex digits
 *   <ms>          a duration: a number, with any padding spaces before it
 *   <n>           any other number (a count, a percentage, seconds, a rate), padding included
 *   <bound>       an interval's upper bound in ms (`21.9 ms`), or `∞` while too few answers bound it
 *   <bar>         a waterfall bar: spaces and █
 *   <skew>        the waterfall's clock-skew mark where the viewer drew a span inside its parent
 *                 (`  ⟲ clipped`, `  ⟲ −0.82 ms skew`), or nothing: when it is needed depends on
 *                 how late callbacks ran on a busy machine
 *   <a|b|…>       exactly one of the listed words, e.g. <target2|target3>
 *   …             alone on a line: any number of lines, none included
 */

export const PLACEHOLDERS: Record<string, string> = {
  'trace-id': '[0-9a-f]{32}',
  ms: ' *\\d+(?:\\.\\d+)?',
  n: ' *-?\\d+(?:\\.\\d+)?',
  bound: ' *(?:\\d+(?:\\.\\d+)? ms|∞)',
  bar: '[ █]+',
  skew: '(?:  ⟲ (?:clipped|[+−]\\d+(?:\\.\\d+)? ms skew))?',
};

const TOKEN = /<(trace-id|ms|n|bound|bar|skew|[A-Za-z0-9._-]+(?:\|[A-Za-z0-9._-]+)+)>/g;
export const ANY_LINES = '…';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regular expression one documented line stands for. */
export function linePattern(expected: string): RegExp {
  let source = '';
  let last = 0;
  for (const m of expected.matchAll(TOKEN)) {
    source += escapeRegExp(expected.slice(last, m.index));
    const name = m[1] as string;
    source += PLACEHOLDERS[name] ?? `(?:${name.split('|').map(escapeRegExp).join('|')})`;
    last = m.index + m[0].length;
  }
  source += escapeRegExp(expected.slice(last));
  return new RegExp(`^${source}$`, 'u');
}

export type Match = { ok: true } | { ok: false; expectedIndex: number; actualIndex: number; reason: string };

const clean = (lines: string[]) => {
  const out = lines.map((l) => l.trimEnd());
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return out;
};

/** Whether `actual` is what `expected` documents; on failure, the first line that differs. */
export function matchOutput(expectedLines: string[], actualLines: string[]): Match {
  const expected = clean(expectedLines);
  const actual = clean(actualLines);
  const patterns = expected.map((l) => (l.trim() === ANY_LINES ? null : linePattern(l)));
  // furthest[i] = the furthest actual line reached with expected line i, for the message.
  let best = { e: 0, a: 0 };
  const memo = new Map<string, boolean>();
  const go = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    if (e > best.e || (e === best.e && a > best.a)) best = { e, a };
    let result: boolean;
    if (e === patterns.length) result = a === actual.length;
    else {
      const p = patterns[e];
      if (p === null) {
        result = false;
        for (let skip = a; skip <= actual.length && !result; skip++) result = go(e + 1, skip);
      } else result = a < actual.length && (p as RegExp).test(actual[a] as string) && go(e + 1, a + 1);
    }
    memo.set(key, result);
    return result;
  };
  if (go(0, 0)) return { ok: true };
  const { e, a } = best;
  const want = expected[e];
  const got = actual[a];
  const reason =
    want === undefined
      ? `unexpected extra output line ${a + 1}: ${JSON.stringify(got)}`
      : got === undefined
        ? `output ended; the docs expect line ${e + 1}: ${JSON.stringify(want)}`
        : `line ${e + 1} differs\n  docs: ${JSON.stringify(want)}\n  real: ${JSON.stringify(got)}`;
  return { ok: false, expectedIndex: e, actualIndex: a, reason };
}
