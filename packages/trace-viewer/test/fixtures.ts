import { randomBytes } from 'node:crypto';
import { type SpanRecord, unixNanoFromMs } from '../src/index.ts';

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** A client -> proxy -> target1 chain as the apps record it, with proxy's hop to target1 refused (403). */
export function chainTrace(traceId = newTraceId(), t0 = Date.now()): SpanRecord[] {
  const ids = Array.from({ length: 6 }, newSpanId);
  const span = (
    i: number,
    parent: number | undefined,
    serviceName: string,
    name: string,
    kind: SpanRecord['kind'],
    startMs: number,
    durationMs: number,
    extra: Partial<SpanRecord> = {},
  ): SpanRecord => ({
    traceId,
    spanId: ids[i] as string,
    parentSpanId: parent === undefined ? undefined : ids[parent],
    serviceName,
    name,
    kind,
    startTimeUnixNano: unixNanoFromMs(t0 + startMs),
    endTimeUnixNano: unixNanoFromMs(t0 + startMs + durationMs),
    status: { code: 'unset' },
    attributes: {},
    ...extra,
  });
  return [
    span(0, undefined, 'client', 'GET /call/*', 'server', 0, 20, { attributes: { 'http.route': '/call/*' } }),
    span(1, 0, 'client', 'GET proxy.meshapps.internal', 'client', 2, 16),
    span(2, 1, 'proxy', 'GET /call/*', 'server', 4, 12),
    span(3, 2, 'proxy', 'GET target1.meshapps.internal', 'client', 6, 6, {
      status: { code: 'error', message: '' },
      attributes: { 'http.response.status_code': 403, 'url.full': 'http://target1.meshapps.internal/' },
    }),
    span(4, 3, 'sidecar', 'mesh proxy -> target1', 'internal', 7, 4),
    span(5, 4, 'target1', 'GET /', 'server', 8, 2),
  ];
}

/** The ingress span a destination's sidecar records for one mesh hop (what the graph counts). */
export function meshHop(
  caller: string,
  destination: string,
  route: string,
  status: number,
  ms: number,
  traceId = newTraceId(),
  startMs = Date.now(),
): SpanRecord {
  return {
    traceId,
    spanId: newSpanId(),
    parentSpanId: newSpanId(),
    serviceName: `${destination} sidecar`,
    name: `ingress ${destination}`,
    kind: 'server',
    startTimeUnixNano: unixNanoFromMs(startMs),
    endTimeUnixNano: unixNanoFromMs(startMs + ms),
    status: status >= 400 ? { code: 'error' } : { code: 'unset' },
    attributes: {
      'http.response.status_code': status,
      'meshapps.caller': caller,
      'meshapps.destination': destination,
      'meshapps.route': route,
    },
  };
}
