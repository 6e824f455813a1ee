/**
 * A request's time budget shrinks along the chain: each hop tells the next how long it may take,
 * minus a reserve, so an inner hop always gives up (and answers 504 naming itself) before its caller.
 */
export const DEADLINE_HEADER = 'x-meshapps-timeout-ms';

/**
 * Whole milliseconds in decimal digits, as Envoy reads `x-envoy-upstream-rq-timeout-ms`
 * (absl::SimpleAtoi): `0x10`, `1e3` or `12.5` is no budget at all, never 16 or 1000 ms.
 */
const MILLISECONDS = /^\+?\d+$/;

/** Milliseconds on a monotonic clock; tests pass their own. */
export type Clock = () => number;
const monotonic: Clock = () => performance.now();

export class Deadline {
  private readonly end: number;
  private readonly now: Clock;

  private constructor(budgetMs: number, now: Clock) {
    this.now = now;
    this.end = now() + budgetMs;
  }

  /** Our budget: the hop timeout, or less when the caller gave us less. */
  static fromInbound(
    inbound: string | string[] | undefined,
    hopTimeoutMs: number,
    now: Clock = monotonic,
  ): Deadline {
    const raw = (Array.isArray(inbound) ? inbound[0] : inbound)?.trim() ?? '';
    const given = MILLISECONDS.test(raw) ? Number(raw) : Number.NaN;
    const budget = Number.isFinite(given) && given > 0 ? Math.min(given, hopTimeoutMs) : hopTimeoutMs;
    return new Deadline(budget, now);
  }

  /** A budget of `budgetMs` from now. */
  static after(budgetMs: number, now: Clock = monotonic): Deadline {
    return new Deadline(budgetMs, now);
  }

  remainingMs(): number {
    return Math.max(0, Math.floor(this.end - this.now()));
  }

  /** What we pass on: our remaining time less a reserve for our own answer (10 %, at least 50 ms). */
  nextHopBudgetMs(): number {
    const remaining = this.remainingMs();
    return Math.max(1, remaining - Math.max(50, Math.ceil(remaining * 0.1)));
  }
}

/**
 * `work`'s result, or `timeoutError()` once `ms` have passed first. `work` is not cancelled: it
 * carries on (a token fetch then still fills the cache for the next call).
 */
export async function raceDeadline<T>(work: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
