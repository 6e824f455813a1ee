import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadline, raceDeadline } from '../src/index.ts';

/** A clock that moves only when told to, so every budget below is exact. */
function manualClock(start = 1000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('Deadline', () => {
  it('starts from the hop timeout when the caller gave no budget', () => {
    const clock = manualClock();
    const d = Deadline.fromInbound(undefined, 5000, clock.now);
    expect(d.remainingMs()).toBe(5000);
    clock.advance(120.6);
    expect(d.remainingMs()).toBe(4879);
    clock.advance(10_000);
    expect(d.remainingMs()).toBe(0);
  });

  it("takes the caller's budget when smaller, never a larger one", () => {
    const { now } = manualClock();
    expect(Deadline.fromInbound('300', 5000, now).remainingMs()).toBe(300);
    expect(Deadline.fromInbound('999999', 5000, now).remainingMs()).toBe(5000);
    expect(Deadline.fromInbound(['200', '9000'], 5000, now).remainingMs()).toBe(200);
  });

  it.each(['abc', '0', '-5', '', 'Infinity', '0x10', '0X10', '1e3', '12.5', '0b11', '0o7', '16ms'])(
    'ignores a budget that is not a positive whole number of milliseconds in decimal (Envoy): %j',
    (value) => {
      expect(Deadline.fromInbound(value, 1000, manualClock().now).remainingMs()).toBe(1000);
    },
  );

  it('reads decimal digits as Envoy does, a sign and surrounding blanks included', () => {
    const { now } = manualClock();
    expect(Deadline.fromInbound('+300', 5000, now).remainingMs()).toBe(300);
    expect(Deadline.fromInbound(' 0300 ', 5000, now).remainingMs()).toBe(300);
  });

  it('passes on less than it has: 10 % reserve, at least 50 ms, never below 1 ms', () => {
    const { now } = manualClock();
    const big = Deadline.fromInbound(undefined, 5000, now);
    expect(big.nextHopBudgetMs()).toBe(big.remainingMs() - 500);
    expect(big.nextHopBudgetMs()).toBe(4500);
    expect(Deadline.fromInbound('200', 5000, now).nextHopBudgetMs()).toBe(150);
    expect(Deadline.fromInbound('20', 5000, now).nextHopBudgetMs()).toBe(1);
  });

  it('keeps shrinking along a chain, so the innermost hop gives up first', () => {
    const { now } = manualClock();
    let budget: string | undefined;
    const remaining: number[] = [];
    for (let hop = 0; hop < 5; hop++) {
      const d = Deadline.fromInbound(budget, 1000, now);
      remaining.push(d.remainingMs());
      budget = String(d.nextHopBudgetMs());
    }
    expect(remaining).toEqual([1000, 900, 810, 729, 656]);
  });

  it('counts from now on the real clock when none is given', () => {
    const d = Deadline.after(5000);
    expect(d.remainingMs()).toBeLessThanOrEqual(5000);
    expect(d.remainingMs()).toBeGreaterThan(0);
  });
});

describe('raceDeadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives the work its result when it settles in time, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const result = raceDeadline(Promise.resolve('token'), 200, () => new Error('late'));
    await expect(result).resolves.toBe('token');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails with the timeout error once the time is up, while the work is still pending', async () => {
    vi.useFakeTimers();
    const result = raceDeadline(
      new Promise<string>(() => {}),
      200,
      () => new Error('no token within 200 ms'),
    );
    const outcome = result.catch((err: Error) => err.message);
    await vi.advanceTimersByTimeAsync(199);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('no token within 200 ms');
  });

  it("passes the work's own failure through", async () => {
    await expect(
      raceDeadline(Promise.reject(new Error('refused')), 200, () => new Error('late')),
    ).rejects.toThrow('refused');
  });
});
