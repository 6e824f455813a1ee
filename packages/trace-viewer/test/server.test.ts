import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpanView, startTraceViewer, type TraceSummary, type TraceViewer } from '../src/index.ts';
import { chainTrace, meshHop, newSpanId, newTraceId } from './fixtures.ts';

let viewer: TraceViewer;
beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0 });
});
afterAll(() => viewer?.close());

/** An OTLP/JSON export as @opentelemetry/exporter-trace-otlp-http sends it. */
function otlpJson(traceId: string, spanId: string, parentSpanId: string) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'proxy' } }] },
        scopeSpans: [
          {
            scope: { name: '@opentelemetry/instrumentation-undici' },
            spans: [
              {
                traceId,
                spanId,
                parentSpanId,
                name: 'GET target1.meshapps.internal',
                kind: 3,
                startTimeUnixNano: '1795656837752000000',
                endTimeUnixNano: '1795656837764500000',
                attributes: [
                  { key: 'http.response.status_code', value: { intValue: 403 } },
                  { key: 'url.full', value: { stringValue: 'http://target1.meshapps.internal/' } },
                  { key: 'ok', value: { boolValue: false } },
                  {
                    key: 'list',
                    value: { arrayValue: { values: [{ stringValue: 'a' }, { doubleValue: 1.5 }] } },
                  },
                ],
                status: { code: 2, message: 'Forbidden' },
              },
            ],
          },
        ],
      },
    ],
  };
}

async function post(body: Buffer | string, headers: Record<string, string>) {
  return fetch(`${viewer.otlpEndpoint}/v1/traces`, { method: 'POST', body, headers });
}

describe('the collector and API', () => {
  it('takes OTLP/JSON at /v1/traces and serves the trace at /api/traces/{id}', async () => {
    const [traceId, spanId, parent] = [newTraceId(), newSpanId(), newSpanId()];
    const res = await post(JSON.stringify(otlpJson(traceId, spanId, parent)), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    const got = (await (await fetch(`${viewer.url}/api/traces/${traceId}`)).json()) as { spans: SpanView[] };
    expect(got.spans).toEqual([
      {
        traceId,
        spanId,
        parentSpanId: parent,
        serviceName: 'proxy',
        name: 'GET target1.meshapps.internal',
        kind: 'client',
        startTimeUnixNano: '1795656837752000000',
        endTimeUnixNano: '1795656837764500000',
        startMs: 1795656837752,
        durationMs: 12.5,
        status: { code: 'error', message: 'Forbidden' },
        attributes: {
          'http.response.status_code': 403,
          'url.full': 'http://target1.meshapps.internal/',
          ok: false,
          list: ['a', 1.5],
        },
      },
    ]);
  });

  it('reads gzip bodies, base64 ids and enum names as other encoders send them', async () => {
    const traceId = newTraceId();
    const body = otlpJson(Buffer.from(traceId, 'hex').toString('base64'), 'AQIDBAUGBwg=', '');
    const span = body.resourceSpans[0]?.scopeSpans[0]?.spans[0] as Record<string, unknown>;
    span.kind = 'SPAN_KIND_SERVER';
    span.status = { code: 'STATUS_CODE_OK' };
    const res = await post(gzipSync(JSON.stringify(body)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    const got = (await (await fetch(`${viewer.url}/api/traces/${traceId}`)).json()) as { spans: SpanView[] };
    expect(got.spans[0]).toMatchObject({
      spanId: '0102030405060708',
      kind: 'server',
      status: { code: 'ok' },
    });
    expect(got.spans[0]?.parentSpanId).toBeUndefined();
  });

  it('refuses what is not OTLP', async () => {
    expect((await post('{', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await post(Buffer.from([0x0a, 0xff]), { 'content-type': 'application/x-protobuf' })).status).toBe(
      400,
    );
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(`${viewer.url}/v1/traces`)).status).toBe(405);
  });

  it('lists recent traces newest first, including spans added in process (the mesh sidecar)', async () => {
    const older = chainTrace(newTraceId(), Date.now() + 60_000);
    const newest = chainTrace(newTraceId(), Date.now() + 120_000);
    viewer.store.add(older);
    viewer.store.add(newest);
    const { traces } = (await (await fetch(`${viewer.url}/api/traces?limit=2`)).json()) as {
      traces: TraceSummary[];
    };
    expect(traces.map((t) => t.traceId)).toEqual([newest[0]?.traceId, older[0]?.traceId]);
    expect(traces[0]).toMatchObject({ rootService: 'client', spanCount: 6, errorCount: 1 });
  });

  it('answers 404 JSON for an unknown trace and 400 for a malformed id', async () => {
    const unknown = await fetch(`${viewer.url}/api/traces/${newTraceId()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await unknown.json()).toHaveProperty('error');
    for (const bad of ['abc', '0'.repeat(32), `${newTraceId()}0`, 'zz'.repeat(16)]) {
      expect((await fetch(`${viewer.url}/api/traces/${bad}`)).status, bad).toBe(400);
    }
  });

  it('serves the page and its script (no CDN, no build)', async () => {
    const page = await fetch(`${viewer.url}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('/viewer.js');
    expect(html).not.toMatch(/https?:\/\//);
    for (const script of [
      '/viewer.js',
      '/graph.js',
      '/graph-layout.js',
      '/graph-traces.js',
      '/graph-worker.js',
      '/vendor/dagre.js',
    ]) {
      const res = await fetch(`${viewer.url}${script}`);
      expect(res.status, script).toBe(200);
      expect(res.headers.get('content-type'), script).toMatch(/^text\/javascript/);
      // Nothing a script would fetch from elsewhere (dagre is one self-contained module).
      expect(await res.text(), script).not.toMatch(/\bimport\b[^;]*?from\s*['"]https?:/);
    }
    expect((await fetch(`${viewer.url}/nope`)).status).toBe(404);
  });

  it('answers GET /api/graph/traces with the recent traces through an edge, with what the store has of them', async () => {
    const traceId = newTraceId();
    viewer.store.add([
      ...chainTrace(traceId),
      meshHop('viewer-test-client', 'viewer-test-proxy', 'route-x', 200, 3, traceId),
    ]);
    const ask = (query: string) => fetch(`${viewer.url}/api/graph/traces?${query}`);
    const res = await ask('source=viewer-test-client&target=viewer-test-proxy');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { traces: { traceId: string; trace: TraceSummary | null }[] };
    expect(body).toMatchObject({
      query: { source: 'viewer-test-client', target: 'viewer-test-proxy' },
      windowSeconds: 300,
      traces: [{ traceId, route: 'route-x', status: 200, trace: { rootService: 'client', spanCount: 7 } }],
    });
    expect(body.traces[0]?.trace).not.toHaveProperty('services');
    const node = (await (await ask('node=viewer-test-proxy&limit=1')).json()) as { traces: unknown[] };
    expect(node.traces).toHaveLength(1);
    for (const bad of [
      '',
      'source=a',
      'node=a&source=b&target=c',
      'node=a&limit=0',
      'node=a&limit=51',
      `node=${'x'.repeat(200)}`,
    ]) {
      const answer = await ask(bad);
      expect(answer.status, bad).toBe(400);
      expect(((await answer.json()) as { error: string }).error, bad).toBeTruthy();
    }
  });

  it('says when a listed trace has left the store', async () => {
    const small = await startTraceViewer({ port: 0, maxTraces: 1 });
    try {
      const [first, second] = [newTraceId(), newTraceId()];
      small.store.add([
        meshHop('a', 'b', 'r', 200, 1, first, 1000),
        meshHop('a', 'b', 'r', 500, 1, second, 2000),
      ]);
      const body = (await (await fetch(`${small.url}/api/graph/traces?source=a&target=b`)).json()) as {
        traces: { traceId: string; status: number; trace: unknown }[];
      };
      expect(body.traces.map((t) => [t.traceId, t.status, t.trace === null])).toEqual([
        [second, 500, false],
        [first, 200, true],
      ]);
    } finally {
      await small.close();
    }
  });
});
