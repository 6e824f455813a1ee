import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, randomSpanId } from '../src/index.ts';

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
