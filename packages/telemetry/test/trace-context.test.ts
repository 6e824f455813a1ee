import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, randomSpanId } from '../src/index.ts';
import { spanIdSource } from '../src/trace-context.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('W3C traceparent helpers', () => {
  it('reads trace, parent span and the sampled flag, and writes the same header back', () => {
    const parsed = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    expect(parsed).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(formatTraceparent(parsed as NonNullable<typeof parsed>)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
  });

  it('takes the first of repeated headers, any case, and a future version with extra fields', () => {
    expect(parseTraceparent([`00-${TRACE}-${SPAN}-01`, 'junk'])?.traceId).toBe(TRACE);
    expect(parseTraceparent(` 00-${TRACE.toUpperCase()}-${SPAN}-01 `)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-more`)?.spanId).toBe(SPAN);
  });

  it.each([
    ['absent', undefined],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('makes span ids of 16 hex digits', () => {
    expect(randomSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('span ids from a pooled crypto buffer', () => {
  it('uses each pooled byte once, refills when used up, and never repeats across refills', () => {
    const fills: number[] = [];
    let counter = 0;
    const next = spanIdSource((buffer) => {
      fills.push(buffer.length);
      for (let i = 0; i < buffer.length; i += 8) buffer.writeBigUInt64BE(BigInt(++counter), i);
    }, 4);
    const ids = Array.from({ length: 10 }, next);
    expect(ids[0]).toBe('0000000000000001');
    expect(ids[9]).toBe('000000000000000a');
    expect(new Set(ids).size).toBe(10);
    expect(fills).toEqual([32, 32, 32]);
  });
  it('skips an all-zero id (invalid in W3C trace context)', () => {
    let first = true;
    const next = spanIdSource((buffer) => {
      buffer.fill(first ? 0 : 7);
      first = false;
    }, 2);
    expect(next()).toBe('0707070707070707');
  });
  it('the default source draws distinct valid ids from crypto randomness', () => {
    const ids = Array.from({ length: 2000 }, randomSpanId);
    expect(new Set(ids).size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});
