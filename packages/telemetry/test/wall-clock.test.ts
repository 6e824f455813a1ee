import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { PreciseSpanTimes } from '../src/precise-span-times.ts';
import { anchorAtTick, preciseNowMs } from '../src/wall-clock.ts';

describe('the shared wall clock', () => {
  it('anchors the monotonic clock at the moment Date.now() ticks over', () => {
    // A stand-in pair of clocks: Date.now() ticks at perf 0.73, 1.73, …; each read costs 5 µs.
    let perf = 0.2;
    const perfNow = () => (perf += 0.005);
    const wallNow = () => 1_000_000 + Math.floor(perf - 0.73 + 1);
    const anchor = anchorAtTick(wallNow, perfNow);
    expect(anchor.wallMs).toBe(1_000_001);
    // The tick happened at perf 0.73, and the anchor sits within one read of it.
    expect(Math.abs(anchor.perfMs - 0.73)).toBeLessThan(0.01);
  });

  it('reads within a millisecond of Date.now(), never behind what Date.now() already says', () => {
    for (let i = 0; i < 1000; i++) {
      const before = Date.now();
      const now = preciseNowMs();
      const after = Date.now();
      expect(now).toBeGreaterThanOrEqual(before - 0.05);
      expect(now).toBeLessThan(after + 1.05);
    }
  });
});

describe('PreciseSpanTimes', () => {
  it('restamps start and end with sub-millisecond times, so a child never starts before its parent', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new PreciseSpanTimes(), new SimpleSpanProcessor({ exporter })],
    });
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 200; i++) {
      const parent = tracer.startSpan('parent');
      const child = tracer.startSpan('child');
      child.end();
      parent.end();
    }
    const spans = exporter.getFinishedSpans();
    const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
    // Date.now() would stamp whole milliseconds; these carry the fraction.
    expect(spans.some((s) => ms(s.startTime) % 1 !== 0)).toBe(true);
    for (let i = 0; i < spans.length; i += 2) {
      const [child, parent] = [spans[i], spans[i + 1]] as [(typeof spans)[0], (typeof spans)[0]];
      expect(ms(child.startTime)).toBeGreaterThanOrEqual(ms(parent.startTime));
      expect(ms(child.endTime)).toBeLessThanOrEqual(ms(parent.endTime));
    }
    await provider.shutdown();
  });

  it('leaves a time the caller gave explicitly alone', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new PreciseSpanTimes(), new SimpleSpanProcessor({ exporter })],
    });
    const span = provider.getTracer('t').startSpan('old', { startTime: new Date('2020-01-01T00:00:00Z') });
    span.end(new Date('2020-01-01T00:00:01Z'));
    const [done] = exporter.getFinishedSpans();
    expect(done?.startTime).toEqual([1577836800, 0]);
    expect(done?.endTime).toEqual([1577836801, 0]);
    await provider.shutdown();
  });
});
