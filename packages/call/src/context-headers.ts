import type { IncomingHttpHeaders } from 'node:http';

/** Trace context travels hop by hop; apps must forward it themselves (the mesh does not). */
export const TRACE_HEADERS = ['traceparent', 'tracestate', 'x-cloud-trace-context'] as const;

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
  for (const name of [...TRACE_HEADERS, ...routingHeaders]) {
    const value = inbound[name.toLowerCase()];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== '') out[name.toLowerCase()] = first;
  }
  return out;
}
