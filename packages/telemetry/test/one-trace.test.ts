// End to end: real app processes with the preload, exporting to the local trace viewer, hops
// through an HTTP_PROXY forwarding proxy (the sidecar's role). One trace must span every hop.

import {
  CLOUD_RUN_403_HTML,
  type ForwardingProxy,
  type HttpStub,
  json,
  startForwardingProxy,
  startHttpStub,
  until,
} from '@meshapps/test-fixtures';
import { type SpanView, startTraceViewer, type TraceViewer } from '@meshapps/trace-viewer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSpanId, newTraceId, type ServiceProcess, startService } from './support.ts';

const PROJECT = 'meshapps-test';
const TRACE_FIELD = 'logging.googleapis.com/trace';

let viewer: TraceViewer;
let sidecar: ForwardingProxy;
let forbidden: HttpStub;
let echo: HttpStub;
let target1: ServiceProcess;
let proxy: ServiceProcess;
let proxyOff: ServiceProcess;
let metadata: HttpStub;
let targetMd: ServiceProcess;
const routes: Record<string, number> = {};

beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0 });
  forbidden = await startHttpStub((_req, res) => {
    res.writeHead(403, { 'content-type': 'text/html' });
    res.end(CLOUD_RUN_403_HTML);
  });
  echo = await startHttpStub(json(200, { message: 'echo' }));
  // The local mesh's metadata server, as far as the preload cares: project/project-id.
  metadata = await startHttpStub((req, res) => {
    const known = req.url === '/computeMetadata/v1/project/project-id';
    res.writeHead(known ? 200 : 404, { 'metadata-flavor': 'Google' });
    res.end(known ? 'project-from-metadata' : '');
  });
  sidecar = await startForwardingProxy({ routes });
  const common = {
    GOOGLE_CLOUD_PROJECT: PROJECT,
    OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpEndpoint,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    HTTP_PROXY: sidecar.url,
    NO_PROXY: '127.0.0.1,localhost',
  };
  [target1, proxy, proxyOff, targetMd] = await Promise.all([
    // target1 exports protobuf (the exporters' default), proxy JSON: the viewer must read both.
    startService('target', { ...common, K_SERVICE: 'target1', K_REVISION: 'target1-00001' }),
    startService('proxy', { ...common, K_SERVICE: 'proxy', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    startService('proxy', { ...common, K_SERVICE: 'proxy-off', OTEL_SDK_DISABLED: 'true' }),
    // As the local mesh runs apps: no GOOGLE_CLOUD_PROJECT, a metadata server instead.
    startService('target', {
      ...common,
      GOOGLE_CLOUD_PROJECT: '',
      K_SERVICE: 'target-md',
      GCE_METADATA_HOST: `127.0.0.1:${metadata.port}`,
    }),
  ]);
  Object.assign(routes, {
    'target1.meshapps.internal': target1.port,
    'forbidden.meshapps.internal': forbidden.port,
    'echo.meshapps.internal': echo.port,
  });
});

afterAll(async () => {
  await Promise.all([target1?.stop(), proxy?.stop(), proxyOff?.stop(), targetMd?.stop()]);
  await Promise.all([
    sidecar?.close(),
    forbidden?.close(),
    echo?.close(),
    metadata?.close(),
    viewer?.close(),
  ]);
});

function traceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** The trace's spans once `ready` says all expected ones have arrived (each service exports on its own). */
async function spansOf(traceId: string, ready: (spans: SpanView[]) => boolean): Promise<SpanView[]> {
  return until(async () => {
    const res = await fetch(`${viewer.url}/api/traces/${traceId}`);
    if (res.status !== 200) return undefined;
    const { spans } = (await res.json()) as { spans: SpanView[] };
    return ready(spans) ? spans : undefined;
  }, `trace ${traceId} never had all its spans in the viewer`);
}

/** A service's log line, once it has come through the stdout pipe (it may trail the response). */
function logLine(service: ServiceProcess, match: (line: Record<string, unknown>) => boolean) {
  return until(
    async () => service.logs.find(match),
    `the service (port ${service.port}) never logged such a line`,
    2000,
  );
}

const find = (spans: SpanView[], service: string, kind: SpanView['kind']) =>
  spans.find((s) => s.serviceName === service && s.kind === kind);

/**
 * Whether the viewer knows `traceId`, asked only once `service` has exported a sampled request
 * sent after it: spans leave a process in the order they end, so anything `traceId` produced is
 * in by then, and an absence means "never sent", not "not sent yet".
 */
async function viewerKnowsAfterMarker(traceId: string, service: ServiceProcess, name: string) {
  const marker = newTraceId();
  const res = await fetch(`${service.url}/`, { headers: { traceparent: traceparent(marker, newSpanId()) } });
  expect(res.status).toBe(200);
  await spansOf(marker, (s) => !!find(s, name, 'server'));
  return (await fetch(`${viewer.url}/api/traces/${traceId}`)).status !== 404;
}

describe('one trace across every hop', () => {
  it('links proxy and target1 spans into a single tree under the caller, and logs say so', async () => {
    const traceId = newTraceId();
    const caller = newSpanId();
    const res = await fetch(`${proxy.url}/call/target1.meshapps.internal`, {
      headers: { traceparent: traceparent(traceId, caller) },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'proxy <- target1' });
    expect(res.headers.get('x-trace-id')).toBe(traceId);

    const spans = await spansOf(
      traceId,
      (s) => !!find(s, 'proxy', 'server') && !!find(s, 'proxy', 'client') && !!find(s, 'target1', 'server'),
    );
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['proxy', 'target1']));
    // A single tree: one span hangs off the caller, every other span off a span of this trace.
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots.map((s) => [s.serviceName, s.kind, s.parentSpanId])).toEqual([['proxy', 'server', caller]]);
    // The hop: target1's server span is the child of proxy's client span.
    const hop = find(spans, 'proxy', 'client');
    expect(hop?.name).toBe('GET target1.meshapps.internal');
    expect(find(spans, 'target1', 'server')?.parentSpanId).toBe(hop?.spanId);
    expect(spans.every((s) => s.status.code !== 'error')).toBe(true);
    // One span per thing that happens (decision 050): per service one SERVER span named by its
    // route, plus one CLIENT span per hop — no second, framework-level span of the same request.
    const shape = spans.map((s) => [s.serviceName, s.kind, s.name, s.attributes['http.route']]);
    expect(shape.sort()).toEqual(
      [
        ['proxy', 'client', 'GET target1.meshapps.internal', undefined],
        ['proxy', 'server', 'GET /call/*', '/call/*'],
        ['target1', 'server', 'GET /', '/'],
      ].sort(),
    );

    // Both services' log lines for this request carry the same Cloud Logging trace.
    const field = `projects/${PROJECT}/traces/${traceId}`;
    for (const service of [proxy, target1]) {
      await logLine(service, (l) => l[TRACE_FIELD] === field && l.message === 'request completed');
      const lines = service.logs.filter((l) => l[TRACE_FIELD] === field);
      expect(lines.map((l) => l.message)).toContain('incoming request');
      expect(lines.every((l) => l['logging.googleapis.com/trace_sampled'] === true)).toBe(true);
      expect(lines.every((l) => /^[0-9a-f]{16}$/.test(String(l['logging.googleapis.com/spanId'])))).toBe(
        true,
      );
      // On every line of the request: where to look at the trace (locally: the viewer).
      expect(lines.every((l) => l.traceUrl === `${viewer.url}/?trace=${traceId}`)).toBe(true);
    }
  });

  it('records a forbidden hop as an error on the client span of that hop', async () => {
    const traceId = newTraceId();
    const res = await fetch(`${proxy.url}/call/forbidden.meshapps.internal`, {
      headers: { traceparent: traceparent(traceId, newSpanId()) },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-trace-id')).toBe(traceId);

    const spans = await spansOf(traceId, (s) => !!find(s, 'proxy', 'server') && !!find(s, 'proxy', 'client'));
    const hop = find(spans, 'proxy', 'client');
    expect(hop?.name).toBe('GET forbidden.meshapps.internal');
    expect(hop?.status.code).toBe('error');
    expect(hop?.attributes['http.response.status_code']).toBe(403);
    // A 4xx answered by us is not a server error (OTel semantic conventions).
    expect(find(spans, 'proxy', 'server')?.status.code).toBe('unset');
  });

  it('sends exactly one traceparent per hop: the child of the hop span, tracestate kept', async () => {
    const traceId = newTraceId();
    const legacyTraceId = newTraceId();
    await fetch(`${proxy.url}/call/echo.meshapps.internal`, {
      headers: {
        traceparent: traceparent(traceId, newSpanId()),
        tracestate: 'congo=t61rcWkgMzE',
        // Both present: W3C wins (the legacy reader runs first); the stale legacy header is not passed on.
        'x-cloud-trace-context': `${legacyTraceId}/12345;o=1`,
      },
    });
    const seen = echo.seen.find((r) => String(r.headers.traceparent).includes(traceId));
    const spans = await spansOf(traceId, (s) => !!find(s, 'proxy', 'client') && !!find(s, 'proxy', 'server'));
    // Node joins repeated headers with ", ": a second traceparent would show up here.
    expect(seen?.headers.traceparent).toBe(
      traceparent(traceId, find(spans, 'proxy', 'client')?.spanId ?? ''),
    );
    expect(seen?.headers.tracestate).toBe('congo=t61rcWkgMzE');
    expect(seen?.headers['x-cloud-trace-context']).toBeUndefined();
  });

  it("accepts X-Cloud-Trace-Context alone (all Google's load balancer sends) as the parent", async () => {
    const traceId = newTraceId();
    const res = await fetch(`${target1.url}/`, {
      headers: { 'x-cloud-trace-context': `${traceId}/18446744073709551615;o=1` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    const spans = await spansOf(traceId, (s) => !!find(s, 'target1', 'server'));
    expect(find(spans, 'target1', 'server')?.parentSpanId).toBe('ffffffffffffffff');
  });

  it('leaves health checks out of traces', async () => {
    const traceId = newTraceId();
    const res = await fetch(`${target1.url}/healthz`, {
      headers: { traceparent: traceparent(traceId, newSpanId()) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toBeNull();
    expect(await viewerKnowsAfterMarker(traceId, target1, 'target1')).toBe(false);
  });

  it('takes the project for log trace fields from the metadata server when the environment has none', async () => {
    const traceId = newTraceId();
    await fetch(`${targetMd.url}/`, { headers: { traceparent: traceparent(traceId, newSpanId()) } });
    const line = await logLine(targetMd, (l) => String(l[TRACE_FIELD]).endsWith(traceId));
    expect(line[TRACE_FIELD]).toBe(`projects/project-from-metadata/traces/${traceId}`);
    expect(metadata.seen.map((r) => r.headers['metadata-flavor'])).toEqual(['Google']);
  });

  it('honours an unsampled caller: no spans, but the trace id still reaches logs and the response', async () => {
    const traceId = newTraceId();
    const res = await fetch(`${target1.url}/`, {
      headers: { traceparent: traceparent(traceId, newSpanId(), false) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    const line = await logLine(target1, (l) => l[TRACE_FIELD] === `projects/${PROJECT}/traces/${traceId}`);
    expect(line['logging.googleapis.com/trace_sampled']).toBe(false);
    expect(await viewerKnowsAfterMarker(traceId, target1, 'target1')).toBe(false);
  });

  it('with OTEL_SDK_DISABLED=true still serves, passing the caller’s trace headers on unchanged', async () => {
    const traceId = newTraceId();
    const inbound = traceparent(traceId, newSpanId());
    const res = await fetch(`${proxyOff.url}/call/echo.meshapps.internal`, {
      headers: { traceparent: inbound },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'proxy-off <- echo' });
    expect(res.headers.get('x-trace-id')).toBeNull();
    expect(echo.seen.find((r) => String(r.headers.traceparent).includes(traceId))?.headers.traceparent).toBe(
      inbound,
    );
    await logLine(proxyOff, (l) => l.message === 'request completed');
    expect(proxyOff.logs.some((l) => TRACE_FIELD in l)).toBe(false);
    // No sampled request of proxy-off can mark its export; its exit can: SIGTERM flushes every
    // buffered span (were an SDK running) before the process ends.
    await proxyOff.stop();
    await logLine(proxyOff, (l) => l.message === 'stopped');
    expect((await fetch(`${viewer.url}/api/traces/${traceId}`)).status).toBe(404);
  });
});
