// Enum numbers mean the same in both encodings: one mapping, in otlp-json.ts.
import { spanKind, statusCode } from './otlp-json.ts';
import type { AttributeValue, SpanKindName, SpanRecord, SpanStatusCode } from './span-record.ts';

/**
 * OTLP/HTTP protobuf (`ExportTraceServiceRequest`, the exporters' default) → span records, with a
 * hand-written reader for the few messages a trace needs — so the collector works with every
 * exporter's default protocol without shipping .proto files or a protobuf library.
 * Field numbers: opentelemetry-proto `trace/v1/trace.proto`, `common/v1/common.proto`.
 * Stops after `maxSpans + 1` spans.
 *
 * Fields are read in place (offsets into the one buffer, numbers rather than BigInt, no
 * generator): every span of every service passes through here (docs/performance.md, finding 11).
 */
export function spansFromOtlpProtobuf(bytes: Uint8Array, maxSpans = Number.POSITIVE_INFINITY): SpanRecord[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SpanRecord[] = [];
  for (const rs = new Fields(buf, 0, buf.length); rs.next(); ) {
    if (rs.num !== 1 || rs.wire !== LEN) continue; // resource_spans
    let serviceName = 'unknown';
    const scopes: [number, number][] = [];
    for (const f = rs.inner(); f.next(); ) {
      if (f.num === 1 && f.wire === LEN) {
        const name = keyValues(f.inner(), 1)['service.name']; // Resource.attributes
        if (typeof name === 'string') serviceName = name;
      } else if (f.num === 2 && f.wire === LEN) scopes.push([f.start, f.end]); // scope_spans
    }
    for (const [start, end] of scopes) {
      for (const f = new Fields(buf, start, end); f.next(); ) {
        if (f.num !== 2 || f.wire !== LEN) continue; // ScopeSpans.spans
        const span = spanRecord(f.inner(), serviceName);
        if (span) out.push(span);
        // One more than allowed is enough to refuse the request: decode no further.
        if (out.length > maxSpans) return out;
      }
    }
  }
  return out;
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * A cursor over one message's fields. After `next()`: `num`, `wire`, and either the bytes
 * `[start, end)` (length-delimited, fixed64, fixed32) or, for a varint, `[start, end)` of its
 * encoding. Throws on truncated input or an unknown wire type (the server answers 400).
 */
class Fields {
  num = 0;
  wire = 0;
  start = 0;
  end = 0;
  readonly buf: Buffer;
  private pos: number;
  private readonly limit: number;

  constructor(buf: Buffer, start: number, limit: number) {
    this.buf = buf;
    this.pos = start;
    this.limit = limit;
  }

  next(): boolean {
    if (this.pos >= this.limit) return false;
    // The wire type is the low 3 bits of the tag, always in its first byte.
    this.wire = (this.buf[this.pos] as number) & 7;
    this.num = Math.floor(this.varint() / 8);
    switch (this.wire) {
      case VARINT:
        this.start = this.pos;
        this.varint();
        this.end = this.pos;
        return true;
      case I64:
        return this.take(8);
      case LEN:
        return this.take(this.varint());
      case I32:
        return this.take(4);
      default:
        throw new Error(`unsupported protobuf wire type ${this.wire}`);
    }
  }

  /** The current length-delimited field as a message of its own. */
  inner(): Fields {
    return new Fields(this.buf, this.start, this.end);
  }

  /** The current integer field (varint, fixed64 or fixed32) as an unsigned value. */
  bigint(): bigint {
    if (this.wire === I64) return this.buf.readBigUInt64LE(this.start);
    if (this.wire === I32) return BigInt(this.buf.readUInt32LE(this.start));
    let result = 0n;
    for (let i = this.end - 1; i >= this.start; i--)
      result = (result << 7n) | BigInt((this.buf[i] as number) & 0x7f);
    return result;
  }

  /** The current integer field as a number (enums: kind, status code). */
  number(): number {
    return Number(this.bigint());
  }

  hex(): string {
    return this.buf.toString('hex', this.start, this.end);
  }

  utf8(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }

  private take(length: number): boolean {
    if (this.pos + length > this.limit) throw new Error('truncated protobuf message');
    this.start = this.pos;
    this.end = this.pos + length;
    this.pos = this.end;
    return true;
  }

  /** Reads a varint at the cursor; exact up to 2^53 (tags and lengths are far below). */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = this.pos; i < this.limit && i < this.pos + 10; i++) {
      const byte = this.buf[i] as number;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        this.pos = i + 1;
        return result;
      }
      scale *= 128;
    }
    throw new Error('truncated protobuf varint');
  }
}

function spanRecord(f: Fields, serviceName: string): SpanRecord | undefined {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind: SpanKindName = 'unspecified';
  let start = 0n;
  let end = 0n;
  let status: SpanRecord['status'] = { code: 'unset' };
  const attributes: Record<string, AttributeValue> = {};
  while (f.next()) {
    const bytes = f.wire === LEN;
    if (f.num === 1 && bytes) traceId = f.hex();
    else if (f.num === 2 && bytes) spanId = f.hex();
    else if (f.num === 4 && bytes) parentSpanId = f.hex();
    else if (f.num === 5 && bytes) name = f.utf8();
    else if (f.num === 6 && !bytes) kind = spanKind(f.number());
    else if (f.num === 7 && !bytes) start = f.bigint();
    else if (f.num === 8 && !bytes) end = f.bigint();
    else if (f.num === 9 && bytes) addKeyValue(f.inner(), attributes);
    else if (f.num === 15 && bytes) status = spanStatus(f.inner());
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

function spanStatus(f: Fields): SpanRecord['status'] {
  let code: SpanStatusCode = 'unset';
  let message: string | undefined;
  while (f.next()) {
    if (f.num === 2 && f.wire === LEN) message = f.utf8();
    else if (f.num === 3 && f.wire !== LEN) code = statusCode(f.number());
  }
  return message ? { code, message } : { code };
}

/** All `KeyValue` entries at field `num` of a message. */
function keyValues(f: Fields, num: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  while (f.next()) if (f.num === num && f.wire === LEN) addKeyValue(f.inner(), out);
  return out;
}

function addKeyValue(f: Fields, into: Record<string, AttributeValue>): void {
  let key: string | undefined;
  let value: AttributeValue = null;
  while (f.next()) {
    if (f.num === 1 && f.wire === LEN) key = f.utf8();
    else if (f.num === 2 && f.wire === LEN) value = anyValue(f.inner());
  }
  if (key !== undefined) into[key] = value;
}

function anyValue(f: Fields): AttributeValue {
  while (f.next()) {
    const bytes = f.wire === LEN;
    if (f.num === 1 && bytes) return f.utf8();
    if (f.num === 2 && !bytes) return f.bigint() !== 0n;
    if (f.num === 3 && !bytes) return Number(BigInt.asIntN(64, f.bigint()));
    if (f.num === 4 && !bytes) return doubleFromBits(f.bigint());
    if (f.num === 5 && bytes) {
      const values: AttributeValue[] = [];
      for (const item = f.inner(); item.next(); )
        if (item.num === 1 && item.wire === LEN) values.push(anyValue(item.inner()));
      return values;
    }
    if (f.num === 6 && bytes) return keyValues(f.inner(), 1);
    if (f.num === 7 && bytes) return f.buf.toString('base64', f.start, f.end);
  }
  return null;
}

function doubleFromBits(bits: bigint): number {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(bits);
  return b.readDoubleLE();
}
