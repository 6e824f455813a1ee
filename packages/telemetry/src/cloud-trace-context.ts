import {
  type Context,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

export const CLOUD_TRACE_HEADER = 'x-cloud-trace-context';

/** `TRACE_ID/SPAN_ID;o=OPTIONS`: 32 hex digits, a decimal 64-bit span id, options bit 1 = sampled. */
const FORMAT = /^([0-9a-f]{32})\/(\d{1,20})(?:;o=(\d+))?$/i;
const MAX_U64 = (1n << 64n) - 1n;

/**
 * Reads Google's legacy `X-Cloud-Trace-Context` header, which is all Google's load balancers send.
 * Extract-only: outbound context is W3C `traceparent` (what Cloud Trace and the OTLP path expect).
 *
 * Put it FIRST in a CompositePropagator: the composite lets the last propagator that finds a
 * header win, so a `traceparent` on the same request still takes precedence.
 */
export class CloudTraceContextPropagator implements TextMapPropagator {
  inject(): void {
    // Deliberately nothing: see the class comment.
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, CLOUD_TRACE_HEADER);
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!value) return ctx;
    const spanContext = parseCloudTraceContext(value);
    return spanContext ? trace.setSpanContext(ctx, spanContext) : ctx;
  }

  fields(): string[] {
    // Only headers this propagator injects belong here; it injects none.
    return [];
  }
}

export function parseCloudTraceContext(value: string): SpanContext | undefined {
  const match = FORMAT.exec(value.trim());
  if (!match) return undefined;
  const [, traceId, spanDecimal, options] = match as unknown as [string, string, string, string | undefined];
  const span = BigInt(spanDecimal);
  if (span === 0n || span > MAX_U64) return undefined;
  const spanContext: SpanContext = {
    traceId: traceId.toLowerCase(),
    spanId: span.toString(16).padStart(16, '0'),
    // Without `;o=` the caller made no sampling decision we can honour: treat it as not sampled.
    traceFlags: options !== undefined && (Number(options) & 1) === 1 ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}
