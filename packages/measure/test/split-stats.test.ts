import { describe, expect, it } from 'vitest';
import {
  answeredBy,
  judge,
  outcomeOf,
  parseExpect,
  wilson,
  wilsonCorrected,
  zFor,
} from '../src/split-stats.ts';

describe('split statistics', () => {
  it('Wilson interval matches a textbook value (95 %, 50 of 100)', () => {
    const { low, high } = wilson(50, 100, 1.96);
    expect(low).toBeCloseTo(0.4038, 3);
    expect(high).toBeCloseTo(0.5962, 3);
  });
  it('continuity-corrected Wilson matches Newcombe (1998), method 4', () => {
    const at95 = (k: number, n: number) => {
      const { low, high } = wilsonCorrected(k, n, 1.959964);
      return [Number(low.toFixed(4)), Number(high.toFixed(4))];
    };
    expect(at95(81, 263)).toEqual([0.2535, 0.3682]);
    expect(at95(15, 148)).toEqual([0.0598, 0.1644]);
    expect(at95(0, 20)).toEqual([0, 0.2005]);
    expect(at95(1, 29)).toEqual([0.0018, 0.1963]);
  });
  it('stays inside [0, 1] at the edges', () => {
    expect(wilson(0, 50, 3.291).low).toBe(0);
    expect(wilson(50, 50, 3.291).high).toBe(1);
  });
  it('parses --expect into shares', () => {
    expect(Object.fromEntries(parseExpect('target=99,target-green=1'))).toEqual({
      target: 0.99,
      'target-green': 0.01,
    });
    expect(() => parseExpect('target2:50')).toThrow(/name=weight/);
    expect(() => zFor(0.5)).toThrow(/confidence/);
  });
  it('names who answered last', () => {
    expect(answeredBy('client <- proxy <- target2')).toBe('target2');
  });
  it('counts a status as an outcome only when --expect names it (an injected abort)', () => {
    const expected = parseExpect('target2=50,503=50');
    expect(outcomeOf(200, 'client <- target2', expected)).toBe('target2');
    expect(outcomeOf(503, undefined, expected)).toBe('503');
    expect(outcomeOf(504, undefined, expected)).toBeUndefined();
    expect(outcomeOf(503, undefined, undefined)).toBeUndefined();
  });
  it('flags a share outside its interval, and a missing expected name', () => {
    const counts = new Map([
      ['target2', 800],
      ['target3', 200],
    ]);
    const v = judge(counts, 1000, parseExpect('target2=50,target3=50'), 3.291);
    expect(v.map((x) => x.ok)).toEqual([false, false]);
    const ok = judge(new Map([['target2', 1000]]), 1000, parseExpect('target2=50,target3=50'), 3.291);
    expect(ok.find((x) => x.name === 'target3')).toMatchObject({ count: 0, ok: false });
  });
});
