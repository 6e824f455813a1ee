import { describe, expect, it } from 'vitest';
import { failureSchedule, readFailPercent } from '../src/fail-percent.ts';

describe('FAIL_PERCENT', () => {
  it('reads 0–100, default 0', () => {
    expect(readFailPercent({})).toBe(0);
    expect(readFailPercent({ FAIL_PERCENT: '' })).toBe(0);
    expect(readFailPercent({ FAIL_PERCENT: ' 20 ' })).toBe(20);
    expect(readFailPercent({ FAIL_PERCENT: '100' })).toBe(100);
    for (const bad of ['x', '-5', '101', '1e2', '0x10', '20%'])
      expect(() => readFailPercent({ FAIL_PERCENT: bad })).toThrow(`got "${bad}"`);
  });

  it.each([0, 1, 7, 20, 50, 99, 100])('fails exactly %i of every 100 requests', (percent) => {
    const fails = failureSchedule(percent);
    for (let round = 0; round < 3; round++) {
      let n = 0;
      for (let i = 0; i < 100; i++) if (fails()) n++;
      expect(n).toBe(percent);
    }
  });
});
