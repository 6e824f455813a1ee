import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { preciseNowMs } from './wall-clock.ts';

/** Further off than this, a time was given explicitly by the caller: leave it alone. */
const EXPLICIT_MS = 50;

function toHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function fromHrTime([seconds, nanos]: HrTime): number {
  return seconds * 1000 + nanos / 1e6;
}

/**
 * Restamps every span's start and end from the shared wall clock (see wall-clock.ts), so spans of
 * different processes on one machine line up to the microsecond. Runs first among the processors:
 * `onStart` right after the SDK stamped the start, `onEnding` right after it stamped the end.
 */
export class PreciseSpanTimes implements SpanProcessor {
  onStart(span: Span): void {
    const now = preciseNowMs();
    const writable = span as unknown as { startTime: HrTime };
    if (Math.abs(fromHrTime(writable.startTime) - now) < EXPLICIT_MS) writable.startTime = toHrTime(now);
  }

  onEnding(span: Span): void {
    const now = preciseNowMs();
    const writable = span as unknown as { startTime: HrTime; endTime: HrTime };
    if (Math.abs(fromHrTime(writable.endTime) - now) < EXPLICIT_MS)
      writable.endTime = toHrTime(Math.max(now, fromHrTime(writable.startTime)));
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
