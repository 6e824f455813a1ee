import {
  type Attributes,
  type Context,
  context,
  type Exception,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanAttributeValue,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isTimeInput, millisToHrTime } from '@opentelemetry/core';
import { preciseNowMs } from './wall-clock.ts';

/**
 * Every span's start and end on the machine's one time base (decision 034, kept by decision
 * 086), through the tracing API alone: the tracers handed out pass `startTime` to the SDK and an
 * end time to `span.end()`, both read from `preciseNowMs()`, unless the caller gave one itself.
 *
 * Why at all: the SDK stamps a start with `Date.now()` (whole milliseconds), so a span of one
 * process can end after its parent, and one of another process start before it. Why this way:
 * `startTime` and `end(endTime)` are the API's own arguments; no SDK-internal field is written.
 */
export function withSharedClock(provider: TracerProvider): TracerProvider {
  return {
    getTracer: (name: string, version?: string, options?: TracerOptions) =>
      new SharedClockTracer(provider.getTracer(name, version, options)),
  };
}

// core's millisToHrTime keeps the fraction of a millisecond (`Math.round(ms % 1e3 * 1e6)` ns).
const preciseHrTime = () => millisToHrTime(preciseNowMs());

class SharedClockTracer implements Tracer {
  private readonly tracer: Tracer;

  constructor(tracer: Tracer) {
    this.tracer = tracer;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx?: Context): Span {
    if (options.startTime !== undefined) return this.tracer.startSpan(name, options, ctx);
    const span = this.tracer.startSpan(name, { ...options, startTime: preciseHrTime() }, ctx);
    // Unsampled: nothing is recorded, so nothing to stamp.
    return span.isRecording() ? new SharedClockSpan(span) : span;
  }

  // The API's three overloads, as its own ProxyTracer resolves them.
  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = args[args.length - 1] as F;
    const options = args.length > 1 ? (args[0] as SpanOptions) : {};
    const parent = args.length > 2 ? (args[1] as Context) : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
  }
}

/** The SDK's span, with the shared clock's time wherever the caller gave none. */
class SharedClockSpan implements Span {
  private readonly span: Span;

  constructor(span: Span) {
    this.span = span;
  }

  spanContext(): SpanContext {
    return this.span.spanContext();
  }

  setAttribute(key: string, value: SpanAttributeValue): this {
    this.span.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    this.span.setAttributes(attributes);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (time !== undefined || isTimeInput(attributesOrTime)) this.span.addEvent(name, attributesOrTime, time);
    else this.span.addEvent(name, attributesOrTime, preciseHrTime());
    return this;
  }

  addLink(link: Link): this {
    this.span.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.span.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.span.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.span.updateName(name);
    return this;
  }

  end(endTime?: TimeInput): void {
    this.span.end(endTime ?? preciseHrTime());
  }

  isRecording(): boolean {
    return this.span.isRecording();
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.span.recordException(exception, time ?? preciseHrTime());
  }
}
