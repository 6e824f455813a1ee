/**
 * A request's time budget shrinks along the chain: each hop tells the next how long it may take,
 * minus a reserve, so an inner hop always gives up (and answers 504 naming itself) before its caller.
 */
export const DEADLINE_HEADER = 'x-meshapps-timeout-ms';

export class Deadline {
  private readonly end: number;

  private constructor(budgetMs: number) {
    this.end = performance.now() + budgetMs;
  }

  /** Our budget: the hop timeout, or less when the caller gave us less. */
  static fromInbound(inbound: string | string[] | undefined, hopTimeoutMs: number): Deadline {
    const given = Number(Array.isArray(inbound) ? inbound[0] : inbound);
    const budget = Number.isFinite(given) && given > 0 ? Math.min(given, hopTimeoutMs) : hopTimeoutMs;
    return new Deadline(budget);
  }

  remainingMs(): number {
    return Math.max(0, Math.floor(this.end - performance.now()));
  }

  /** What we pass on: our remaining time less a reserve for our own answer (10 %, at least 50 ms). */
  nextHopBudgetMs(): number {
    const remaining = this.remainingMs();
    return Math.max(1, remaining - Math.max(50, Math.ceil(remaining * 0.1)));
  }
}
