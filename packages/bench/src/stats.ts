import { percentiles } from '@meshapps/measure';

/** Latency summary of one scenario, in milliseconds. */
export interface LatencySummary {
  count: number;
  /** Answers that were not 200 (or failed): counted, and left out of the percentiles. */
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Percentiles by the repository's one definition (nearest rank, `@meshapps/measure`). */
export function summarise(samplesMs: readonly number[], failed = 0): LatencySummary {
  const { count, p50, p90, p99, mean } = percentiles(samplesMs);
  return { count, failed, p50, p90, p99, mean };
}

/** Median of a few repeated measurements: one noisy round does not decide a figure. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2
    ? (finite[mid] as number)
    : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}

/** Median of each field over rounds of the same scenario. */
export function medianSummary(rounds: readonly LatencySummary[]): LatencySummary {
  const of = (k: keyof LatencySummary) => median(rounds.map((r) => r[k]));
  return {
    count: rounds.reduce((a, r) => a + r.count, 0),
    failed: rounds.reduce((a, r) => a + r.failed, 0),
    p50: of('p50'),
    p90: of('p90'),
    p99: of('p99'),
    mean: of('mean'),
  };
}
