import type { IncomingHttpHeaders } from 'node:http';
import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Trace context travels hop by hop; apps must forward it themselves (the mesh does not). */
export const TRACE_HEADERS = ['traceparent', 'tracestate', 'x-cloud-trace-context'] as const;

/**
 * With the SDK running, OpenTelemetry's undici instrumentation writes the W3C headers itself (as a
 * child of its client span). It appends rather than replaces, so copying them too would send two
 * `traceparent`s; and the inbound `x-cloud-trace-context` would still name the caller's span
 * (e.g. the load balancer's), so a hop reading it would hang its span in the wrong place.
 */
const SDK_REPLACES = new Set(['traceparent', 'tracestate', 'x-cloud-trace-context']);

/** Headers HTTPRoute rules may match on; they must reach every hop for header routing to work. */
export const DEFAULT_ROUTING_HEADERS = ['x-variant'] as const;

/**
 * Copies trace and routing headers from the inbound request. Nothing else is forwarded:
 * never the inbound Authorization, cookies, Metadata-Flavor or hop-by-hop headers.
 */
export function contextHeaders(
  inbound: IncomingHttpHeaders,
  routingHeaders: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  // With the telemetry preload running there is an active span and the SDK propagates the context;
  // without it (OTEL_SDK_DISABLED, no preload) the inbound headers are passed on unchanged.
  const activeSpan = trace.getActiveSpan()?.spanContext();
  const sdkPropagates = activeSpan !== undefined && isSpanContextValid(activeSpan);
  for (const name of [...TRACE_HEADERS, ...routingHeaders]) {
    if (sdkPropagates && SDK_REPLACES.has(name)) continue;
    const value = inbound[name.toLowerCase()];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== '') out[name.toLowerCase()] = first;
  }
  return out;
}
