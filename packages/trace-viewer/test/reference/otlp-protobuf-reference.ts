// The collector's first protobuf reader (a generator per message, BigInt per varint): simple and
// slow. Kept only as the oracle the in-place reader in src/otlp-protobuf.ts is checked against.
import { spanKind, statusCode } from '../../src/otlp-json.ts';
import type { AttributeValue, SpanKindName, SpanRecord, SpanStatusCode } from '../../src/span-record.ts';

/**
 * OTLP/HTTP protobuf (`ExportTraceServiceRequest`, the exporters' default) → span records, with a
 * hand-written reader for the few messages a trace needs — so the collector works with every
 * exporter's default protocol without shipping .proto files or a protobuf library.
 * Field numbers: opentelemetry-proto `trace/v1/trace.proto`, `common/v1/common.proto`.
 * Stops after `maxSpans + 1` spans.
 */
export function referenceSpansFromOtlpProtobuf(
  buf: Uint8Array,
  maxSpans = Number.POSITIVE_INFINITY,
): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const [num, rs] of fields(buf)) {
    if (num !== 1 || !(rs instanceof Uint8Array)) continue; // resource_spans
    let serviceName = 'unknown';
    const scopes: Uint8Array[] = [];
    for (const [n, v] of fields(rs)) {
      if (n === 1 && v instanceof Uint8Array) {
        const attrs = keyValues(v, 1); // Resource.attributes
        if (typeof attrs['service.name'] === 'string') serviceName = attrs['service.name'];
      } else if (n === 2 && v instanceof Uint8Array) scopes.push(v); // scope_spans
    }
    for (const scope of scopes) {
      for (const [n, v] of fields(scope)) {
        if (n !== 2 || !(v instanceof Uint8Array)) continue; // ScopeSpans.spans
        const span = spanRecord(v, serviceName);
        if (span) out.push(span);
        // One more than allowed is enough to refuse the request: decode no further.
        if (out.length > maxSpans) return out;
      }
    }
  }
  return out;
}

function spanRecord(buf: Uint8Array, serviceName: string): SpanRecord | undefined {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind: SpanKindName = 'unspecified';
  let start = 0n;
  let end = 0n;
  let status: SpanRecord['status'] = { code: 'unset' };
  const attributes: Record<string, AttributeValue> = {};
  for (const [n, v] of fields(buf)) {
    if (n === 1 && v instanceof Uint8Array) traceId = hex(v);
    else if (n === 2 && v instanceof Uint8Array) spanId = hex(v);
    else if (n === 4 && v instanceof Uint8Array) parentSpanId = hex(v);
    else if (n === 5 && v instanceof Uint8Array) name = utf8(v);
    else if (n === 6 && typeof v === 'bigint') kind = spanKind(Number(v));
    else if (n === 7 && typeof v === 'bigint') start = v;
    else if (n === 8 && typeof v === 'bigint') end = v;
    else if (n === 9 && v instanceof Uint8Array) Object.assign(attributes, keyValue(v));
    else if (n === 15 && v instanceof Uint8Array) status = spanStatus(v);
  }
  if (traceId.length !== 32 || spanId.length !== 16) return undefined;
  return {
    traceId,
    spanId,
    parentSpanId: parentSpanId.length === 16 && !/^0+$/.test(parentSpanId) ? parentSpanId : undefined,
    serviceName,
    name,
    kind,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    status,
    attributes,
  };
}

function spanStatus(buf: Uint8Array): SpanRecord['status'] {
  let code: SpanStatusCode = 'unset';
  let message: string | undefined;
  for (const [n, v] of fields(buf)) {
    if (n === 2 && v instanceof Uint8Array) message = utf8(v);
    else if (n === 3 && typeof v === 'bigint') code = statusCode(Number(v));
  }
  return message ? { code, message } : { code };
}

/** All `KeyValue` entries at field `num` of a message. */
function keyValues(buf: Uint8Array, num: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [n, v] of fields(buf)) if (n === num && v instanceof Uint8Array) Object.assign(out, keyValue(v));
  return out;
}

function keyValue(buf: Uint8Array): Record<string, AttributeValue> {
  let key: string | undefined;
  let value: AttributeValue = null;
  for (const [n, v] of fields(buf)) {
    if (n === 1 && v instanceof Uint8Array) key = utf8(v);
    else if (n === 2 && v instanceof Uint8Array) value = anyValue(v);
  }
  return key === undefined ? {} : { [key]: value };
}

function anyValue(buf: Uint8Array): AttributeValue {
  for (const [n, v] of fields(buf)) {
    if (n === 1 && v instanceof Uint8Array) return utf8(v);
    if (n === 2 && typeof v === 'bigint') return v !== 0n;
    if (n === 3 && typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
    if (n === 4 && typeof v === 'bigint') return doubleFromBits(v);
    if (n === 5 && v instanceof Uint8Array) {
      const values: AttributeValue[] = [];
      for (const [m, item] of fields(v))
        if (m === 1 && item instanceof Uint8Array) values.push(anyValue(item));
      return values;
    }
    if (n === 6 && v instanceof Uint8Array) return keyValues(v, 1);
    if (n === 7 && v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  }
  return null;
}

type FieldValue = bigint | Uint8Array;

/**
 * Iterates a message's fields as [number, value]: varints and fixed64/fixed32 as bigint,
 * length-delimited as bytes. Throws on truncated input (the server answers 400).
 */
function* fields(buf: Uint8Array): Generator<[number, FieldValue]> {
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = varint(buf, pos);
    pos = afterTag;
    const num = Number(tag >> 3n);
    switch (Number(tag & 7n)) {
      case 0: {
        const [value, next] = varint(buf, pos);
        pos = next;
        yield [num, value];
        break;
      }
      case 1:
        need(buf, pos, 8);
        yield [num, Buffer.from(buf.buffer, buf.byteOffset + pos, 8).readBigUInt64LE()];
        pos += 8;
        break;
      case 2: {
        const [len, next] = varint(buf, pos);
        need(buf, next, Number(len));
        yield [num, buf.subarray(next, next + Number(len))];
        pos = next + Number(len);
        break;
      }
      case 5:
        need(buf, pos, 4);
        yield [num, BigInt(Buffer.from(buf.buffer, buf.byteOffset + pos, 4).readUInt32LE())];
        pos += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${tag & 7n}`);
    }
  }
}

function varint(buf: Uint8Array, start: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let pos = start; pos < buf.length && shift < 70n; pos++) {
    const byte = buf[pos] as number;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos + 1];
    shift += 7n;
  }
  throw new Error('truncated protobuf varint');
}

function need(buf: Uint8Array, pos: number, len: number): void {
  if (pos + len > buf.length) throw new Error('truncated protobuf message');
}

function doubleFromBits(bits: bigint): number {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(bits);
  return b.readDoubleLE();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}
