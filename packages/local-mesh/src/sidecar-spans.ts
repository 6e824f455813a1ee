import { formatTraceparent, parseTraceparent, randomSpanId } from '@meshapps/telemetry';
import { preciseNowMs } from '@meshapps/telemetry/wall-clock';
import { type SpanRecord, unixNanoFromMs } from '@meshapps/trace-viewer';

/**
 * The sidecar's own place in the trace, as CSM's Envoys appear in Cloud Trace: an outbound span
 * in the caller's sidecar and an inbound span in the destination's, between the caller's client
 * span and the destination app's server span. Unsampled or absent context: nothing is recorded
 * and headers pass unchanged.
 */
export interface HopSpans {
  /** The traceparent to send on: the inbound span becomes the destination app's parent. */
  traceparent: string | undefined;
  end(status: number, attributes: Record<string, string | number>): void;
}

export function startHopSpans(
  inbound: string | string[] | undefined,
  hop: { caller: string; host: string; destination: string },
  record: (spans: SpanRecord[]) => void,
): HopSpans {
  const parent = parseTraceparent(inbound);
  if (!parent?.sampled) return { traceparent: Array.isArray(inbound) ? inbound[0] : inbound, end: () => {} };
  // The apps' spans use the same clock (the telemetry preload): sidecar and app spans line up.
  const start = unixNanoFromMs(preciseNowMs());
  const outbound = randomSpanId();
  const inboundSpan = randomSpanId();
  return {
    traceparent: formatTraceparent({ traceId: parent.traceId, spanId: inboundSpan, sampled: true }),
    end(status, attributes) {
      const end = unixNanoFromMs(preciseNowMs());
      const error = status >= 400;
      const common = {
        traceId: parent.traceId,
        startTimeUnixNano: start,
        endTimeUnixNano: end,
        status: error ? { code: 'error' as const, message: `HTTP ${status}` } : { code: 'unset' as const },
      };
      // Caller and destination on both spans: the service graph reads a hop from either alone.
      const http = {
        'http.response.status_code': status,
        'server.address': hop.host,
        'meshapps.caller': hop.caller,
        'meshapps.destination': hop.destination,
        ...attributes,
      };
      record([
        {
          ...common,
          spanId: outbound,
          parentSpanId: parent.spanId,
          serviceName: `${hop.caller} sidecar`,
          name: `egress ${hop.host}`,
          kind: 'client',
          attributes: http,
        },
        {
          ...common,
          spanId: inboundSpan,
          parentSpanId: outbound,
          serviceName: `${hop.destination} sidecar`,
          name: `ingress ${hop.destination}`,
          kind: 'server',
          attributes: http,
        },
      ]);
    },
  };
}
