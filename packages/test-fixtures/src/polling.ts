import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls for a positive marker instead of sleeping: calls `check` every 10 ms until it gives
 * something other than `false` or `undefined`, and returns that; fails with `why` once
 * `timeoutMs` have passed first.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  why: string,
  timeoutMs = 5000,
): Promise<Exclude<T, false | undefined>> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value as Exclude<T, false | undefined>;
    if (performance.now() > end) throw new Error(`${why} (within ${timeoutMs} ms)`);
    await sleep(10);
  }
}
