import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Long from 'long';
import protobuf from 'protobufjs';
import { spanKind, statusCode } from './otlp-json.ts';
import type { AttributeValue, SpanRecord } from './span-record.ts';

/**
 * opentelemetry-proto's own definitions, as the npm package `@elastic/mockotlpserver` ships them
 * (kept in step with the version opentelemetry-js uses), loaded by protobufjs (decision 088).
 */
const require = createRequire(import.meta.url);
const PROTO_DIR = dirname(require.resolve('@elastic/mockotlpserver/package.json'));
const SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

// 64-bit fields (times in nanoseconds) exactly, whatever the module loader: protobufjs looks for
// `long` with a require() trick that a bundler or test runner may defeat (its README's remedy).
protobuf.util.Long = Long;
protobuf.configure();

let requestType: protobuf.Type | undefined;

/** Loaded on the first protobuf export: a collector that only ever sees JSON never parses them. */
function exportTraceServiceRequest(): protobuf.Type {
  if (!requestType) {
    const root = new protobuf.Root();
    // Imports in the .proto files are relative to the package's root, not to the importing file.
    root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
    root.loadSync(SERVICE_PROTO);
    requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  }
  return requestType;
}

/**
 * OTLP/HTTP protobuf (`ExportTraceServiceRequest`, the exporters' default) → span records. The
 * library decodes; this reads its messages into records the way otlp-json.ts reads an OTLP/JSON
 * body (the tests hold both to the same records for the same spans). Stops after `maxSpans + 1`
 * spans. Throws on a malformed message (the server answers 400).
 */
export function spansFromOtlpProtobuf(bytes: Uint8Array, maxSpans = Number.POSITIVE_INFINITY): SpanRecord[] {
  const request = exportTraceServiceRequest().decode(bytes) as unknown as pb.Request;
  const out: SpanRecord[] = [];
  for (const rs of request.resourceSpans) {
    const name = rs.resource && attributesOf(rs.resource.attributes)['service.name'];
    const serviceName = typeof name === 'string' ? name : 'unknown';
    for (const scope of rs.scopeSpans) {
      for (const span of scope.spans) {
        const record = spanRecord(span, serviceName);
        if (record) out.push(record);
        if (out.length > maxSpans) return out;
      }
    }
  }
  return out;
}

function spanRecord(span: pb.Span, serviceName: string): SpanRecord | undefined {
  const traceId = idHex(span.traceId, 16);
  const spanId = idHex(span.spanId, 8);
  if (!traceId || !spanId) return undefined;
  const message = span.status?.message;
  return {
    traceId,
    spanId,
    parentSpanId: idHex(span.parentSpanId, 8),
    serviceName,
    name: span.name,
    kind: spanKind(span.kind),
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    status: {
      code: statusCode(span.status?.code ?? 0),
      ...(message ? { message } : {}),
    },
    attributes: attributesOf(span.attributes),
  };
}

function attributesOf(kvs: readonly pb.KeyValue[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of kvs) out[kv.key] = anyValue(kv.value);
  return out;
}

/** `value` names the one field of the AnyValue oneof that is set (protobufjs's virtual oneof). */
function anyValue(v: pb.AnyValue | null | undefined): AttributeValue {
  switch (v?.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return Long.fromValue(v.intValue).toNumber();
    case 'doubleValue':
      return v.doubleValue;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return attributesOf(v.kvlistValue?.values ?? []);
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('base64');
    default:
      return null;
  }
}

/** The id as lower-case hex, or undefined when it is missing, all zeros or of the wrong length. */
function idHex(bytes: Uint8Array, length: number): string | undefined {
  if (bytes.length !== length) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return /^0+$/.test(hex) ? undefined : hex;
}

/** The decoded messages, as far as a trace needs them (opentelemetry-proto field names, camelCase). */
declare namespace pb {
  interface Request {
    resourceSpans: { resource?: { attributes: KeyValue[] } | null; scopeSpans: { spans: Span[] }[] }[];
  }
  interface Span {
    traceId: Uint8Array;
    spanId: Uint8Array;
    parentSpanId: Uint8Array;
    name: string;
    kind: number;
    startTimeUnixNano: Long | number;
    endTimeUnixNano: Long | number;
    attributes: KeyValue[];
    status?: { message: string; code: number } | null;
  }
  interface KeyValue {
    key: string;
    value?: AnyValue | null;
  }
  interface AnyValue {
    value?: string;
    stringValue: string;
    boolValue: boolean;
    intValue: Long | number;
    doubleValue: number;
    arrayValue?: { values: AnyValue[] } | null;
    kvlistValue?: { values: KeyValue[] } | null;
    bytesValue: Uint8Array;
  }
}
