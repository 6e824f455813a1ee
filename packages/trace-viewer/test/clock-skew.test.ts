import { describe, expect, it } from 'vitest';
import { adjustClockSkew } from '../src/clock-skew.ts';
import { renderTextWaterfall, type SpanView, TraceStore } from '../src/index.ts';
import { chainTrace, newTraceId } from './fixtures.ts';

/** The fixture's chain as the API serves it, with proxy's clock planted `skewMs` ahead. */
export function skewedChain(skewMs: number): SpanView[] {
  const store = new TraceStore();
  const traceId = newTraceId();
  const t0 = Date.now();
  store.add(
    chainTrace(traceId, t0).map((s) =>
      s.serviceName === 'proxy'
        ? {
            ...s,
            startTimeUnixNano: String(BigInt(s.startTimeUnixNano) + BigInt(skewMs * 1e6)),
            endTimeUnixNano: String(BigInt(s.endTimeUnixNano) + BigInt(skewMs * 1e6)),
          }
        : s,
    ),
  );
  return store.get(traceId) as SpanView[];
}

/** How far each span sticks out of its parent (0 when inside). */
export function outside(spans: readonly SpanView[]): number[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans.flatMap((s) => {
    const p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    if (!p) return [];
    return [Math.max(0, p.startMs - s.startMs, s.startMs + s.durationMs - (p.startMs + p.durationMs))];
  });
}

describe('clock-skew adjustment (after Jaeger)', () => {
  it('moves a process whose clock is 5 ms ahead back inside its caller, its own spans with it, and marks them', () => {
    const raw = skewedChain(5);
    expect(Math.max(...outside(raw))).toBeCloseTo(4, 3);
    const adjusted = adjustClockSkew(raw);
    expect(outside(adjusted).every((x) => x < 1e-9)).toBe(true);
    const proxy = adjusted.filter((s) => s.serviceName === 'proxy');
    // proxy's server span (12 ms) centred in client's 16 ms call: it starts 2 ms into it.
    const call = adjusted.find((s) => s.name === 'GET proxy.meshapps.internal') as SpanView;
    expect((proxy[0] as SpanView).startMs - call.startMs).toBeCloseTo(2, 6);
    for (const s of proxy) {
      expect(s.adjusted).toMatchObject({ shiftedMs: -5, clipped: false, rawDurationMs: s.durationMs });
      expect(s.adjusted?.rawStartMs).toBeCloseTo(s.startMs + 5, 6);
    }
    expect(proxy[0]?.adjusted?.reason).toBe(
      'shifted −5.000 ms into its parent (clock skew between proxy and client)',
    );
    // Spans that fit are untouched (and unmarked); so are the raw store's spans.
    expect(adjusted.filter((s) => s.serviceName === 'client').every((s) => s.adjusted === undefined)).toBe(
      true,
    );
    expect(raw.every((s) => s.adjusted === undefined)).toBe(true);
    expect(renderTextWaterfall('t', adjusted).match(/⟲ −5\.00 ms skew$/gm)).toHaveLength(2);
  });

  it('a skew that already fits is left alone', () => {
    expect(adjustClockSkew(skewedChain(1)).filter((s) => s.adjusted)).toEqual([]);
  });

  it('clips a child from another clock that outlasted its parent, keeping its raw times', () => {
    const [parent, child] = skewedChain(0).filter(
      (s) => s.name === 'GET target1.meshapps.internal' || s.name === 'mesh proxy -> target1',
    );
    const longer = { ...(child as SpanView), durationMs: 10 };
    const [, drawn] = adjustClockSkew([parent as SpanView, longer]);
    expect(drawn?.adjusted).toMatchObject({ clipped: true, rawDurationMs: 10 });
    expect(outside([parent as SpanView, drawn as SpanView])).toEqual([0]);
    expect(drawn?.adjusted?.reason).toContain(
      'drawn inside its parent: measured 10.000 ms, on another clock',
    );
  });

  it('survives a span that names itself as parent', () => {
    const [a] = skewedChain(0);
    const loop = { ...(a as SpanView), parentSpanId: (a as SpanView).spanId };
    expect(adjustClockSkew([loop])).toEqual([loop]);
  });
});
