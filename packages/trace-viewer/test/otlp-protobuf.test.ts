// The collector's protobuf intake (protobufjs with opentelemetry-proto's definitions) against
// what the real OpenTelemetry exporter writes in both encodings, and on its bytes mutated at random.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spansFromOtlpJson } from '../src/otlp-json.ts';
import { spansFromOtlpProtobuf } from '../src/otlp-protobuf.ts';
import type { SpanRecord } from '../src/span-record.ts';

/** One attribute of every type OTLP carries: string, int (negative, beyond 2^53), double, bool, arrays. */
const EVERY_TYPE = {
  'http.route': '/call/*',
  'http.response.status_code': 503,
  'meshapps.negative': -7,
  'meshapps.large': 2 ** 60,
  'meshapps.ratio': 0.25,
  'meshapps.sampled': true,
  'meshapps.cached': false,
  'meshapps.hops': ['client', 'proxy', 'ターゲット'],
  'meshapps.ports': [8080, 8081],
};

function exportedSpans(count = 2): { bytes: Uint8Array; spans: ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'target1' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < count; i += 2) {
    const server = tracer.startSpan('GET /call/*', {
      kind: SpanKind.SERVER,
      attributes: EVERY_TYPE,
    });
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream answered 503' });
    const client = tracer.startSpan(
      'GET target1.meshapps.internal',
      { kind: SpanKind.CLIENT },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    client.end();
    server.end();
  }
  const spans = exporter.getFinishedSpans();
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('the serializer gave nothing');
  return { bytes, spans };
}

function nanos([seconds, ns]: [number, number]): string {
  return (BigInt(seconds) * 1_000_000_000n + BigInt(ns)).toString();
}

describe('spansFromOtlpProtobuf', () => {
  it('reads what the OpenTelemetry exporter writes: ids, parent, kind, times, status, every attribute type', () => {
    const { bytes, spans } = exportedSpans();
    const records = spansFromOtlpProtobuf(bytes);
    expect(records).toHaveLength(spans.length);
    for (const span of spans) {
      const record = records.find((r) => r.spanId === span.spanContext().spanId);
      expect(record).toMatchObject({
        traceId: span.spanContext().traceId,
        serviceName: 'target1',
        name: span.name,
        kind: span.kind === SpanKind.SERVER ? 'server' : 'client',
        startTimeUnixNano: nanos(span.startTime),
        endTimeUnixNano: nanos(span.endTime),
      });
      expect(record?.parentSpanId).toBe(span.parentSpanContext?.spanId);
    }
    const server = records.find((r) => r.kind === 'server');
    expect(server?.status).toEqual({ code: 'error', message: 'upstream answered 503' });
    expect(server?.attributes).toEqual(EVERY_TYPE);
  });

  it('stops one span past the limit', () => {
    const { bytes } = exportedSpans(10);
    expect(spansFromOtlpProtobuf(bytes, 3)).toHaveLength(4);
  });

  it('gives the same records as the exporter’s JSON encoding of the same spans', () => {
    const { bytes, spans } = exportedSpans(4);
    const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
    expect(spansFromOtlpProtobuf(bytes)).toEqual(spansFromOtlpJson(json));
  });

  it('on any mutation of the exporter’s bytes, gives well-formed records or a plain error', () => {
    const { bytes } = exportedSpans(4);
    const edit = fc.record({
      at: fc.nat({ max: bytes.length - 1 }),
      byte: fc.integer({ min: 0, max: 255 }),
      cut: fc.option(fc.nat({ max: bytes.length }), { nil: undefined }),
      insert: fc.uint8Array({ maxLength: 12 }),
    });
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean(), (edits, substituteOnly) => {
        let b = Uint8Array.from(bytes);
        for (const e of edits) {
          b[e.at % b.length] = e.byte;
          if (substituteOnly) continue; // same length: more of these still decode
          const at = e.at % (b.length + 1);
          b = Uint8Array.from([...b.subarray(0, at), ...e.insert, ...b.subarray(at)]);
          if (e.cut !== undefined) b = b.subarray(0, Math.min(e.cut, b.length));
        }
        let records: SpanRecord[];
        try {
          records = spansFromOtlpProtobuf(b);
        } catch (err) {
          // The decoder's own refusal (the server answers 400 with it), never a bug of ours.
          expect(err).toBeInstanceOf(Error);
          expect(err).not.toBeInstanceOf(TypeError);
          outcomes.error++;
          return;
        }
        outcomes.ok++;
        for (const r of records) expect(wellFormed(r), JSON.stringify(r)).toBe(true);
      }),
      { seed: 20261130, numRuns: 2000 },
    );
    // Both branches ran: mutations the decoder refused, and ones it read.
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.error).toBeGreaterThan(100);
  });
});

function wellFormed(r: SpanRecord): boolean {
  return (
    /^[0-9a-f]{32}$/.test(r.traceId) &&
    /^[0-9a-f]{16}$/.test(r.spanId) &&
    (r.parentSpanId === undefined || /^[0-9a-f]{16}$/.test(r.parentSpanId)) &&
    /^\d+$/.test(r.startTimeUnixNano) &&
    /^\d+$/.test(r.endTimeUnixNano) &&
    typeof r.name === 'string' &&
    ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'].includes(r.kind) &&
    ['unset', 'ok', 'error'].includes(r.status.code) &&
    JSON.stringify(JSON.parse(JSON.stringify(r.attributes))) === JSON.stringify(r.attributes)
  );
}
