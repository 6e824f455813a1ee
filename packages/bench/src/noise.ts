/**
 * When a figure cannot be told from its own noise. A figure with reasons reads "unreliable",
 * with them, never "pass" or "FAIL": a bench that passes noise teaches nothing (issue 21: on a
 * busy run the hop pair printed "−45.7 ms ≤ 0.50 ms pass").
 */
export interface NoiseEvidence {
  /** The figure as reported. */
  value: number;
  unit: string;
  /** The same figure from each repeat (round or slice); fewer than two: no spread to judge by. */
  repeats: readonly number[];
  /**
   * A difference of two measurements (mesh − direct): below 0, the noise is larger than it. A
   * string says what a negative one would mean (default: the direct run was the slower one).
   */
  difference?: true | string;
  /** Open loop: how late the load generator sent at worst (ms); its lag is in every latency. */
  sendLagMs?: number;
  /** CPU from the kernel: the clock ticks (10 ms each) the figure was computed from. */
  ticks?: number;
  /** Latency: the share (0–1) of requests that failed, which no percentile includes. */
  failedShare?: number;
  /** Why failures spoil this figure (default: no percentile counts them). */
  failedSpoils?: string;
}

/** More failed requests than this, and the percentiles describe the survivors, not the load. */
const MAX_FAILED_SHARE = 0.01;

/** Fewer kernel ticks than this leave a CPU figure more than ±5 % from its quantisation alone. */
const MIN_TICKS = 20;

export function unreliableBecause(e: NoiseEvidence): string[] {
  if (!Number.isFinite(e.value)) return [];
  const size = Math.abs(e.value);
  const show = (x: number) => `${round(x)} ${e.unit}`;
  const reasons: string[] = [];
  if (e.difference && e.value < 0) {
    reasons.push(
      `negative (${show(e.value)}): ${typeof e.difference === 'string' ? e.difference : 'the direct run was the slower one'}, so noise outweighs the difference`,
    );
  }
  if (e.sendLagMs !== undefined && e.sendLagMs > size) {
    reasons.push(`the load generator sent up to ${round(e.sendLagMs)} ms late, more than the figure`);
  }
  const finite = e.repeats.filter(Number.isFinite);
  if (finite.length < 2) {
    reasons.push('measured once: no spread to judge it by');
  } else {
    const low = Math.min(...finite);
    const high = Math.max(...finite);
    if (high - low > size) {
      reasons.push(
        `its ${finite.length} repeats spread ${show(high - low)} (${round(low)} to ${round(high)}), more than the figure`,
      );
    }
  }
  if (e.failedShare !== undefined && e.failedShare > MAX_FAILED_SHARE) {
    reasons.push(
      `${(e.failedShare * 100).toFixed(1)} % of its requests failed, and ${e.failedSpoils ?? 'no percentile counts them'}`,
    );
  }
  if (e.ticks !== undefined && e.ticks < MIN_TICKS) {
    reasons.push(`from ${e.ticks} kernel clock ticks of 10 ms: fewer than ${MIN_TICKS}`);
  }
  return reasons;
}

function round(x: number): string {
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}
