import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { withSharedClock } from '../src/shared-clock.ts';
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

describe('withSharedClock', () => {
  it('stamps start and end with sub-millisecond times, so a child never sticks out of its parent', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = withSharedClock(provider).getTracer('t');
    for (let i = 0; i < 200; i++) {
      const parent = tracer.startSpan('parent');
      const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent));
      child.end();
      parent.end();
    }
    const spans = exporter.getFinishedSpans();
    const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
    // Date.now() would stamp whole milliseconds; these carry the fraction.
    expect(spans.some((s) => ms(s.startTime) % 1 !== 0)).toBe(true);
    for (let i = 0; i < spans.length; i += 2) {
      const [child, parent] = [spans[i], spans[i + 1]] as [(typeof spans)[0], (typeof spans)[0]];
      expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(ms(child.startTime)).toBeGreaterThanOrEqual(ms(parent.startTime));
      expect(ms(child.endTime)).toBeLessThanOrEqual(ms(parent.endTime));
    }
    await provider.shutdown();
  });

  it('leaves a time the caller gave explicitly alone', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = withSharedClock(provider).getTracer('t');
    const span = tracer.startSpan('old', { startTime: new Date('2020-01-01T00:00:00Z') });
    span.end(new Date('2020-01-01T00:00:01Z'));
    const [done] = exporter.getFinishedSpans();
    expect(done?.startTime).toEqual([1577836800, 0]);
    expect(done?.endTime).toEqual([1577836801, 0]);
    await provider.shutdown();
  });

  it('makes startActiveSpan’s span the active one and hands back what the callback returns', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = withSharedClock(provider).getTracer('t');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const result = tracer.startActiveSpan('outer', (span) => {
      expect(trace.getActiveSpan()).toBe(span);
      span.addEvent('half way');
      span.end();
      return 42;
    });
    context.disable();
    expect(result).toBe(42);
    const [outer] = exporter.getFinishedSpans();
    const [seconds, nanos] = outer?.events[0]?.time ?? [0, 0];
    expect((seconds * 1000 + nanos / 1e6) % 1).not.toBe(0); // the event too, on the shared clock
    await provider.shutdown();
  });
});
