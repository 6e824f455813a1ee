import { describe, expect, it } from 'vitest';
import { TraceStore } from '../src/index.ts';
import { SPAN_LIMITS } from '../src/span-limits.ts';
import type { SpanRecord, SpanView } from '../src/span-record.ts';
import { chainTrace, newTraceId } from './fixtures.ts';

describe('TraceStore', () => {
  it('keeps a trace, orders its spans by start and adds milliseconds', () => {
    const store = new TraceStore();
    const spans = chainTrace();
    expect(store.add([...spans].reverse())).toBe(6);
    const got = store.get(spans[0]?.traceId as string);
    expect(got?.map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId));
    expect(got?.[0]?.durationMs).toBeCloseTo(20, 3);
    expect(got?.[2]?.startMs).toBeCloseTo((got?.[0]?.startMs ?? 0) + 4, 3);
  });

  it('summarises newest first: root, services in order of appearance, errors', () => {
    const store = new TraceStore();
    const older = chainTrace(newTraceId(), Date.now() - 60_000);
    const newer = chainTrace(newTraceId(), Date.now());
    store.add(newer);
    store.add(older);
    const [first, second] = store.list();
    expect(first).toMatchObject({
      traceId: newer[0]?.traceId,
      rootService: 'client',
      rootName: 'GET /call/*',
      services: ['client', 'proxy', 'sidecar', 'target1'],
      spanCount: 6,
      errorCount: 1,
    });
    expect(first?.durationMs).toBeCloseTo(20, 3);
    expect(second?.traceId).toBe(older[0]?.traceId);
    expect(store.list(1)).toHaveLength(1);
  });

  it('merges spans of one trace arriving from several producers, replacing a repeated span id', () => {
    const store = new TraceStore();
    const spans = chainTrace();
    store.add(spans.slice(0, 3));
    store.add(spans.slice(2));
    expect(store.get(spans[0]?.traceId as string)).toHaveLength(6);
  });

  it('drops spans with malformed ids', () => {
    const store = new TraceStore();
    const [span] = chainTrace();
    const bad = [
      { ...span, traceId: 'xyz' },
      { ...span, traceId: '0'.repeat(32) },
      { ...span, spanId: 'ABCDEF' },
      { ...span, spanId: '0'.repeat(16) },
    ];
    expect(store.add(bad as never)).toBe(0);
    expect(store.size).toBe(0);
  });

  it('is bounded: the least recently updated trace goes first, and spans per trace are capped', () => {
    const store = new TraceStore({ maxTraces: 2, maxSpansPerTrace: 3 });
    const [a, b, c] = [chainTrace(), chainTrace(), chainTrace()];
    store.add(a.slice(0, 1));
    store.add(b.slice(0, 1));
    store.add(a.slice(1, 2)); // a updated: b is now the oldest
    store.add(c);
    expect(store.get(b[0]?.traceId as string)).toBeUndefined();
    expect(store.get(a[0]?.traceId as string)).toHaveLength(2);
    expect(store.get(c[0]?.traceId as string)).toHaveLength(3);
  });

  it('hands onAdd only the spans it accepts, each already within SPAN_LIMITS', () => {
    const seen: SpanView[] = [];
    const store = new TraceStore({ onAdd: (spans) => seen.push(...spans) });
    const [span] = chainTrace();
    const huge = { ...(span as SpanRecord), attributes: { 'meshapps.caller': 'c'.repeat(100_000) } };
    store.add([huge, { ...huge, traceId: 'not-a-trace-id' }]);
    expect(seen).toHaveLength(1);
    const caller = seen[0]?.attributes['meshapps.caller'] as string;
    expect(caller.length).toBeLessThan(SPAN_LIMITS.valueChars + 40);
  });
});
