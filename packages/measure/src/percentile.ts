/**
 * The one percentile definition of the repository: nearest rank. The p-th percentile of n values
 * is the value at rank ⌈p/100 · n⌉ of the ascending list — always a value that was measured, never
 * interpolated. `pnpm bench`, the soak (`runLoad`) and the canary gate all use it, so a p90 means
 * the same answer in each of their outputs.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[nearestRank(sorted.length, p) - 1] as number;
}

/** 1-based rank of the p-th percentile (0 < p ≤ 100) among n values. */
export function nearestRank(n: number, p: number): number {
  // The epsilon keeps 99.9 · 1000 / 100 = 999.0000000000001 at rank 999.
  return Math.min(n, Math.max(1, Math.ceil((p * n) / 100 - 1e-9)));
}

export interface PercentileInterval {
  /** The percentile itself (nearest rank). */
  value: number;
  low: number;
  high: number;
}

/**
 * The percentile with a distribution-free confidence interval: the ranks between which the true
 * p-th percentile lies, from the binomial (normal approximation) — the same statistics as the
 * split's intervals. A rank outside the sample leaves that bound unknown (0 below, Infinity above):
 * with one answer, the true p90 may well lie below it, so its lower bound is not that answer.
 * Clamping it there made a single slow first answer of a healthy release "shown" too slow.
 */
export function percentileInterval(
  values: readonly number[],
  p: number,
  z: number,
): PercentileInterval | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (rank: number) => sorted[rank - 1] as number;
  const q = p / 100;
  const spread = z * Math.sqrt(n * q * (1 - q));
  const lowRank = Math.floor(n * q - spread);
  const highRank = Math.ceil(n * q + spread);
  return {
    value: percentile(sorted, p),
    low: lowRank >= 1 ? at(lowRank) : 0,
    high: highRank <= n ? at(highRank) : Number.POSITIVE_INFINITY,
  };
}

/** Latency figures of one set of samples, each percentile by the definition above. */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** p50, p90, p99, max and mean of samples in any order (NaN for each when there are none). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted.at(-1) as number) : Number.NaN,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN,
  };
}
