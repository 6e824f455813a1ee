/**
 * How many requests a check needs before it is decisive — chosen up front, so a check is bounded
 * in requests and its power is a number that can be printed, not a hope.
 */

/**
 * Requests so that an outcome with this share shows up at least once with probability
 * `confidence`: 1 − (1 − share)ⁿ ≥ confidence. A 1 % destination needs 688 requests at 99.9 %;
 * a fault on 20 % of answers shows within 31.
 */
export function requestsToSee(share: number, confidence: number): number {
  if (!(share > 0 && share <= 1)) throw new Error(`a share to see is in (0, 1], got ${share}`);
  if (share === 1) return 1;
  return Math.ceil(Math.log(1 - confidence) / Math.log(1 - share) - 1e-9);
}

/**
 * Requests so that a share observed from a split `delta` away from the declared one falls outside
 * the declared share's z-interval with probability as high as the interval's own confidence (the
 * same z on both sides, normal approximation): n ≥ (z·(σ₀ + σ₁) / delta)², σ = √(p(1 − p)). The
 * alternative is taken toward 50 %, where its spread is widest. 50:50 against 70:30 at z = 3.291
 * (99.9 %) needs 249.
 */
export function requestsToTell(share: number, delta: number, z: number): number {
  const other = share < 0.5 ? Math.min(1, share + delta) : Math.max(0, share - delta);
  const spread = Math.sqrt(share * (1 - share)) + Math.sqrt(other * (1 - other));
  return Math.max(1, Math.ceil(((z * spread) / delta) ** 2 - 1e-9));
}
