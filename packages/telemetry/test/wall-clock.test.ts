import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { withSharedClock } from '../src/shared-clock.ts';
import { anchorAtTick, sharedWallClock } from '../src/wall-clock.ts';

/**
 * A stand-in machine: its true time moves only when performance.now() is read, 1/256 ms a read
 * (exact in binary, so every sum below is exact), and Date.now() is the floor of that time plus
 * whatever step the test gives the wall clock. Date.now() ticks over at perf 0.75, 1.75, …
 */
function fakeMachine() {
  const EPOCH = 1_000_000.25; // the true wall time at perf 0
  const at = { perf: 52 / 256, step: 0 };
  return {
    at,
    perf: () => {
      at.perf += 1 / 256;
      return at.perf;
    },
    wall: () => Math.floor(EPOCH + at.perf + at.step),
    /** The true time of the last performance.now() read, on the (stepped) wall clock. */
    trueNow: () => EPOCH + at.perf + at.step,
  };
}

describe('the shared wall clock', () => {
  it('anchors the monotonic clock at the moment Date.now() ticks over', () => {
    const machine = fakeMachine();
    // The last read of the old millisecond was at 191/256, the first of the new at 192/256 = 0.75:
    // the anchor sits between them, which on this machine is the tick itself.
    expect(anchorAtTick(machine.wall, machine.perf)).toEqual({ wallMs: 1_000_001, perfMs: 0.75 });
  });

  it('reads the true time at each read, never behind what Date.now() already says', () => {
    const machine = fakeMachine();
    const clock = sharedWallClock(machine.wall, machine.perf);
    for (let i = 0; i < 1000; i++) {
      const now = clock();
      expect(now).toBe(machine.trueNow());
      expect(Math.floor(now)).toBe(machine.wall());
      if (i % 100 === 0) machine.at.perf += 0.25; // between reads, time passes too
    }
  });

  it('follows a wall clock stepped by more than 1.5 ms, at its next check (every 10 s)', () => {
    const machine = fakeMachine();
    const clock = sharedWallClock(machine.wall, machine.perf);
    clock();
    clock(); // the first check: the anchor holds
    machine.at.step = 5; // NTP steps the wall clock 5 ms ahead
    expect(clock()).toBe(machine.trueNow() - 5); // the monotonic time base, until the next check
    machine.at.perf += 10_000;
    expect(clock()).toBe(machine.trueNow()); // anchored again, on the stepped clock
  });

  it('keeps its time base through a step of 1.5 ms or less', () => {
    const machine = fakeMachine();
    const clock = sharedWallClock(machine.wall, machine.perf);
    clock();
    clock();
    machine.at.step = 1.5;
    machine.at.perf += 10_000;
    expect(clock()).toBe(machine.trueNow() - 1.5);
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
