import { describe, expect, it } from 'vitest';
import { requestsToSee, requestsToTell } from '../src/sample-size.ts';
import { zFor } from '../src/split-stats.ts';

describe('how many requests a check needs', () => {
  it('to see a 1 % destination at least once with 99.9 % probability: 688', () => {
    expect(requestsToSee(0.01, 0.999)).toBe(688);
    // …and no fewer: 687 requests miss it more often than once in a thousand.
    expect(0.99 ** 687).toBeGreaterThan(0.001);
    expect(0.99 ** 688).toBeLessThanOrEqual(0.001);
    expect(requestsToSee(0.2, 0.999)).toBe(31);
    expect(0.8 ** 31).toBeLessThanOrEqual(0.001);
    expect(0.8 ** 30).toBeGreaterThan(0.001);
    expect(requestsToSee(1, 0.999)).toBe(1);
    expect(() => requestsToSee(0, 0.999)).toThrow('(0, 1]');
  });

  it('to tell a split 20 points away from the declared one at 99.9 %', () => {
    const z = zFor(0.999);
    expect(requestsToTell(0.5, 0.2, z)).toBe(249);
    expect(requestsToTell(0.01, 0.2, z)).toBe(70);
    expect(requestsToTell(0.99, 0.2, z)).toBe(70);
  });
});
