/**
 * The statistics behind `pnpm split:check`: is an observed traffic split consistent with the
 * weights in the route? A handful of curls says nothing (the "my split doesn't work" issues of
 * every mesh); N requests and a binomial confidence interval do.
 */

/** Two-sided normal quantiles for the confidence levels we offer. */
const Z: Record<string, number> = { '0.9': 1.645, '0.95': 1.96, '0.99': 2.576, '0.999': 3.291 };

export function zFor(confidence: number): number {
  const z = Z[String(confidence)];
  if (z === undefined) throw new Error(`confidence must be one of ${Object.keys(Z).join(', ')}`);
  return z;
}

/** Wilson score interval for k successes in n trials: better than the normal one near 0 % and 100 %. */
export function wilson(k: number, n: number, z: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Wilson's interval with continuity correction (Newcombe 1998, method 4): wider at small n, where
 * the plain interval claims too much — e.g. 5 of 6 is not yet "below 99 %" at 99 % confidence.
 * The canary gate decides on a handful of answers, so it uses this one.
 */
export function wilsonCorrected(k: number, n: number, z: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const denominator = 2 * (n + z2);
  const low =
    k === 0
      ? 0
      : (2 * n * p + z2 - 1 - z * Math.sqrt(z2 - 2 - 1 / n + 4 * p * (n * (1 - p) + 1))) / denominator;
  const high =
    k === n
      ? 1
      : (2 * n * p + z2 + 1 + z * Math.sqrt(z2 + 2 - 1 / n + 4 * p * (n * (1 - p) - 1))) / denominator;
  return { low: Math.max(0, low), high: Math.min(1, high) };
}

/** "target2=50,target3=50" → shares that add up to 1. */
export function parseExpect(spec: string): Map<string, number> {
  const entries = spec.split(',').map((part) => {
    const m = /^\s*([a-z0-9-]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new Error(`--expect wants name=weight[,name=weight…], got "${part}"`);
    return [m[1] as string, Number(m[2])] as const;
  });
  const total = entries.reduce((a, [, w]) => a + w, 0);
  if (total <= 0) throw new Error('--expect weights add up to 0');
  return new Map(entries.map(([name, w]) => [name, w / total]));
}

/**
 * The outcome one answer counts as: who answered (a 200), or its status when `--expect` names
 * that status (e.g. `503=50` for a route that aborts half its requests); else undefined (a failure).
 */
export function outcomeOf(
  status: number,
  message: string | undefined,
  expected: ReadonlyMap<string, number> | undefined,
): string | undefined {
  if (status === 200 && message !== undefined) return answeredBy(message);
  return expected?.has(String(status)) ? String(status) : undefined;
}

/** The service that answered last: "client <- proxy <- target2" → "target2". */
export function answeredBy(message: string): string {
  const parts = message.split(' <- ');
  return parts[parts.length - 1] ?? message;
}

export interface SplitVerdict {
  name: string;
  count: number;
  share: number;
  low: number;
  high: number;
  expected: number | undefined;
  ok: boolean;
}

export function judge(
  counts: Map<string, number>,
  n: number,
  expected: Map<string, number> | undefined,
  z: number,
): SplitVerdict[] {
  const names = new Set([...counts.keys(), ...(expected?.keys() ?? [])]);
  return [...names].sort().map((name) => {
    const count = counts.get(name) ?? 0;
    const { low, high } = wilson(count, n, z);
    const exp = expected ? (expected.get(name) ?? 0) : undefined;
    return {
      name,
      count,
      share: n ? count / n : 0,
      low,
      high,
      expected: exp,
      ok: exp === undefined || (exp >= low && exp <= high),
    };
  });
}
