import { describe, expect, it } from 'vitest';
import { nearestRank, percentile, percentileInterval, percentiles } from '../src/percentile.ts';

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('the one percentile definition: nearest rank', () => {
  it('takes the value at rank ⌈p/100 · n⌉, a value that was measured', () => {
    // 1…10: p90 is the 9th value. (The soak once took index ⌊0.9 · n⌋, the 10th: a second definition.)
    expect(percentile(oneTo(10), 90)).toBe(9);
    expect(percentile(oneTo(10), 50)).toBe(5);
    expect(percentile(oneTo(10), 99)).toBe(10);
    expect(percentile(oneTo(100), 90)).toBe(90);
    expect(percentile(oneTo(100), 99)).toBe(99);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 90)).toBeNaN();
  });

  it('is not pushed a rank up by floating-point error', () => {
    expect(nearestRank(1000, 99.9)).toBe(999);
    expect(nearestRank(10, 70)).toBe(7);
    expect(nearestRank(3, 0)).toBe(1);
  });

  it('an interval for p90 from order statistics; a bound whose rank falls outside the sample is unknown', () => {
    expect(percentileInterval(oneTo(100), 90, 1.96)).toEqual({ value: 90, low: 84, high: 96 });
    expect(percentileInterval([5], 90, 1.96)).toEqual({ value: 5, low: 0, high: Number.POSITIVE_INFINITY });
    expect(percentileInterval([], 90, 1.96)).toBeUndefined();
  });

  it('its interval is centred on the same value', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (const n of [1, 2, 9, 10, 11, 99, 100, 101, 1000]) {
      const values = Array.from({ length: n }, () => Math.round(random() * 1000) / 10);
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of [50, 90, 99])
        expect(percentileInterval(values, p, 2.576)?.value, `n ${n}, p${p}`).toBe(percentile(sorted, p));
    }
  });

  it('summarises samples in any order: p50, p90, p99, max, mean', () => {
    expect(percentiles([...oneTo(10)].reverse())).toEqual({
      count: 10,
      p50: 5,
      p90: 9,
      p99: 10,
      max: 10,
      mean: 5.5,
    });
    expect(percentiles([])).toMatchObject({ count: 0, p90: Number.NaN, max: Number.NaN });
  });
});
