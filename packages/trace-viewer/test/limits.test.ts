import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OTLP_LIMITS,
  SPAN_LIMITS,
  type SpanRecord,
  startTraceViewer,
  TraceStore,
  type TraceViewer,
} from '../src/index.ts';
import { limitSpan } from '../src/span-limits.ts';
import { chainTrace, newSpanId, newTraceId } from './fixtures.ts';

// The collector's bounds (issue 13, defects 4, 5 and 9): bytes on the wire, after gunzip, spans
// per request, characters per attribute, bytes in the store.
let viewer: TraceViewer;
beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0 });
});
afterAll(() => viewer?.close());

const post = (body: Buffer | string, headers: Record<string, string>) =>
  fetch(`${viewer.otlpEndpoint}/v1/traces`, { method: 'POST', body, headers });

function otlpJson(spans: number, attribute?: string) {
  const traceId = newTraceId();
  return {
    traceId,
    body: {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'client' } }] },
          scopeSpans: [
            {
              spans: Array.from({ length: spans }, () => ({
                traceId,
                spanId: newSpanId(),
                name: 'GET /',
                kind: 2,
                startTimeUnixNano: '1795656837752000000',
                endTimeUnixNano: '1795656837764500000',
                attributes: attribute ? [{ key: 'big', value: { stringValue: attribute } }] : [],
              })),
            },
          ],
        },
      ],
    },
  };
}

describe('OTLP request bounds', () => {
  it('a 17 MB body answers 413 (read to its end, not reset)', async () => {
    const res = await post(Buffer.alloc(17 * 1024 * 1024, 0x20), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain('larger than');
  });

  it('the same 17 MB sent chunked (no content-length) answers 413 too', async () => {
    const chunks = (async function* () {
      for (let i = 0; i < 17; i++) yield new Uint8Array(1024 * 1024).fill(0x20);
    })();
    const res = await fetch(`${viewer.otlpEndpoint}/v1/traces`, {
      method: 'POST',
      body: chunks as unknown as ReadableStream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('a gzip bomb (260 KB that inflates to 256 MB) answers 413 without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(300 * 1024);
    const res = await post(bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain('once decompressed');
  });

  it('a gzip body within the bound is still taken', async () => {
    const { traceId, body } = otlpJson(3);
    const res = await post(gzipSync(JSON.stringify(body)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(viewer.store.get(traceId)).toHaveLength(3);
  });

  it('an unknown content-encoding is refused loudly (415), not parsed as if plain', async () => {
    const res = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(res.status).toBe(415);
  });

  it(`more than ${OTLP_LIMITS.spansPerRequest} spans in one request: 413, none stored`, async () => {
    const { traceId, body } = otlpJson(OTLP_LIMITS.spansPerRequest + 1);
    const res = await post(JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect(viewer.store.get(traceId)).toBeUndefined();
  });
});

describe('the API refuses malformed paths with 4xx', () => {
  it('/api/traces/%E0%A4%A → 400; //x:99999/ → 404', async () => {
    expect((await fetch(`${viewer.url}/api/traces/%E0%A4%A`)).status).toBe(400);
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(viewer.url).port), '127.0.0.1', () =>
        socket.write('GET //x:99999/ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (d) => {
        text += d;
      });
      socket.on('close', () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 404/);
  });
});

describe('store bounds', () => {
  it('a 15 MB attribute is kept as its first few KiB with a marker', async () => {
    const { traceId, body } = otlpJson(1, 'x'.repeat(15 * 1024 * 1024));
    expect((await post(JSON.stringify(body), { 'content-type': 'application/json' })).status).toBe(200);
    const [span] = viewer.store.get(traceId) ?? [];
    const big = String(span?.attributes.big);
    expect(big.length).toBeLessThan(SPAN_LIMITS.valueChars + 100);
    expect(big).toMatch(/…\[\d+ more characters\]$/);
  });

  it('attributes per span, names and nested values are capped', () => {
    const store = new TraceStore();
    const [span] = chainTrace() as [SpanRecord];
    const attributes = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    store.add([
      { ...span, name: 'n'.repeat(10_000), attributes: { ...attributes, list: Array(1000).fill('v') } },
    ]);
    const [kept] = store.get(span.traceId) ?? [];
    expect(Object.keys(kept?.attributes ?? {})).toHaveLength(SPAN_LIMITS.attributesPerSpan + 1);
    expect(kept?.attributes['meshapps.dropped_attributes']).toBe(301 - SPAN_LIMITS.attributesPerSpan);
    expect(kept?.name.length).toBeLessThan(SPAN_LIMITS.valueChars + 100);
  });

  it('a span within every limit is kept as it is; one field over any limit makes a bounded copy', () => {
    const [span] = chainTrace() as [SpanRecord];
    const view = {
      ...span,
      startMs: 0,
      durationMs: 1,
      attributes: { 'http.route': '/call/*', list: ['a', 'b'], nested: { deeper: { ok: true } } },
    };
    expect(limitSpan(view)).toBe(view);
    const nested = (depth: number): Record<string, never> | object =>
      depth === 0 ? { leaf: 1 } : { next: nested(depth - 1) };
    const over = {
      'service name': { serviceName: 's'.repeat(SPAN_LIMITS.keyChars + 1) },
      'status message': {
        status: { code: 'error' as const, message: 'm'.repeat(SPAN_LIMITS.valueChars + 1) },
      },
      'attribute key': { attributes: { ['k'.repeat(SPAN_LIMITS.keyChars + 1)]: 1 } },
      'attribute value': { attributes: { v: 'v'.repeat(SPAN_LIMITS.valueChars + 1) } },
      nesting: { attributes: nested(SPAN_LIMITS.depth + 1) as SpanRecord['attributes'] },
      'array items': { attributes: { a: Array(SPAN_LIMITS.arrayItems + 1).fill(1) } },
    };
    for (const [what, change] of Object.entries(over)) {
      const limited = limitSpan({ ...view, ...change });
      expect(limited, what).not.toBe(view);
      // The field over its limit carries the marker of what was cut.
      expect(JSON.stringify(limited), what).toMatch(/more characters\]|nested too deep|\[1 more\]/);
    }
  });

  it('bytes are bounded: the least recently updated traces go first', () => {
    const store = new TraceStore({ maxBytes: 200_000 });
    const traces = Array.from({ length: 20 }, () => chainTrace());
    for (const t of traces) store.add(t.map((s) => ({ ...s, attributes: { pad: 'p'.repeat(4000) } })));
    expect(store.bytes).toBeLessThanOrEqual(200_000);
    expect(store.size).toBeGreaterThan(0);
    expect(store.size).toBeLessThan(20);
    expect(store.get(traces[19]?.[0]?.traceId as string)).toHaveLength(6);
    expect(store.get(traces[0]?.[0]?.traceId as string)).toBeUndefined();
  });
});
