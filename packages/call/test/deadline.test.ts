import { describe, expect, it } from 'vitest';
import { Deadline } from '../src/index.ts';

describe('Deadline', () => {
  it('starts from the hop timeout when the caller gave no budget', () => {
    const d = Deadline.fromInbound(undefined, 5000);
    expect(d.remainingMs()).toBeGreaterThan(4900);
    expect(d.remainingMs()).toBeLessThanOrEqual(5000);
  });

  it("takes the caller's budget when smaller, never a larger one", () => {
    expect(Deadline.fromInbound('300', 5000).remainingMs()).toBeLessThanOrEqual(300);
    expect(Deadline.fromInbound('300', 5000).remainingMs()).toBeGreaterThan(250);
    expect(Deadline.fromInbound('999999', 5000).remainingMs()).toBeLessThanOrEqual(5000);
    expect(Deadline.fromInbound(['200', '9000'], 5000).remainingMs()).toBeLessThanOrEqual(200);
  });

  it.each(['abc', '0', '-5', '', 'Infinity'])('ignores a nonsense budget %j', (value) => {
    expect(Deadline.fromInbound(value, 1000).remainingMs()).toBeGreaterThan(900);
  });

  it('passes on less than it has: 10 % reserve, at least 50 ms, never below 1 ms', () => {
    const big = Deadline.fromInbound(undefined, 5000);
    expect(big.nextHopBudgetMs()).toBeLessThanOrEqual(big.remainingMs() - 499);
    expect(big.nextHopBudgetMs()).toBeGreaterThan(4400);
    const small = Deadline.fromInbound('200', 5000);
    expect(small.nextHopBudgetMs()).toBeLessThanOrEqual(150);
    expect(Deadline.fromInbound('20', 5000).nextHopBudgetMs()).toBe(1);
  });

  it('keeps shrinking along a chain, so the innermost hop gives up first', () => {
    let budget: string | undefined;
    const remaining: number[] = [];
    for (let hop = 0; hop < 5; hop++) {
      const d = Deadline.fromInbound(budget, 1000);
      remaining.push(d.remainingMs());
      budget = String(d.nextHopBudgetMs());
    }
    for (let i = 1; i < remaining.length; i++) expect(remaining[i]).toBeLessThan(remaining[i - 1] ?? 0);
  });
});
