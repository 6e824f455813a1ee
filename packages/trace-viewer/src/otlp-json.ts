import type { AttributeValue, SpanKindName, SpanRecord, SpanStatusCode } from './span-record.ts';

/**
 * OTLP/HTTP JSON (`ExportTraceServiceRequest`) → span records. Lenient where encoders differ:
 * ids as hex (the spec) or base64, enums as numbers or names, 64-bit numbers as strings or numbers.
 * https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 * Stops after `maxSpans + 1` spans.
 */
export function spansFromOtlpJson(body: unknown, maxSpans = Number.POSITIVE_INFINITY): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of arrayOf(field(body, 'resourceSpans'))) {
    const resource = attributesOf(field(field(rs, 'resource'), 'attributes'));
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    // `instrumentationLibrarySpans` is the pre-1.0 name some old senders still use.
    const scopes = [
      ...arrayOf(field(rs, 'scopeSpans')),
      ...arrayOf(field(rs, 'instrumentationLibrarySpans')),
    ];
    for (const scope of scopes) {
      for (const span of arrayOf(field(scope, 'spans'))) {
        const record = spanRecord(span, serviceName);
        if (record) out.push(record);
        if (out.length > maxSpans) return out;
      }
    }
  }
  return out;
}

function spanRecord(span: unknown, serviceName: string): SpanRecord | undefined {
  const traceId = idHex(field(span, 'traceId'), 16);
  const spanId = idHex(field(span, 'spanId'), 8);
  if (!traceId || !spanId) return undefined;
  const parentSpanId = idHex(field(span, 'parentSpanId'), 8);
  const status = field(span, 'status');
  const message = field(status, 'message');
  return {
    traceId,
    spanId,
    parentSpanId,
    serviceName,
    name: String(field(span, 'name') ?? ''),
    kind: spanKind(field(span, 'kind')),
    startTimeUnixNano: nanos(field(span, 'startTimeUnixNano')),
    endTimeUnixNano: nanos(field(span, 'endTimeUnixNano')),
    status: {
      code: statusCode(field(status, 'code')),
      ...(typeof message === 'string' && message !== '' ? { message } : {}),
    },
    attributes: attributesOf(field(span, 'attributes')),
  };
}

const KINDS: readonly SpanKindName[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

export function spanKind(raw: unknown): SpanKindName {
  if (typeof raw === 'number') return KINDS[raw] ?? 'unspecified';
  if (typeof raw === 'string') {
    const name = raw.replace(/^SPAN_KIND_/i, '').toLowerCase();
    return (KINDS as readonly string[]).includes(name) ? (name as SpanKindName) : 'unspecified';
  }
  return 'unspecified';
}

export function statusCode(raw: unknown): SpanStatusCode {
  if (raw === 1 || raw === 'STATUS_CODE_OK') return 'ok';
  if (raw === 2 || raw === 'STATUS_CODE_ERROR') return 'error';
  return 'unset';
}

function attributesOf(raw: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of arrayOf(raw)) {
    const key = field(kv, 'key');
    if (typeof key === 'string') out[key] = anyValue(field(kv, 'value'));
  }
  return out;
}

function anyValue(raw: unknown): AttributeValue {
  if (raw === null || typeof raw !== 'object') return null;
  const v = raw as Record<string, unknown>;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return arrayOf(field(v.arrayValue, 'values')).map(anyValue);
  if ('kvlistValue' in v) return attributesOf(field(v.kvlistValue, 'values'));
  if ('bytesValue' in v) return String(v.bytesValue);
  return null;
}

/** Hex per the OTLP/JSON spec; base64 from encoders that kept protobuf's JSON mapping. */
function idHex(raw: unknown, bytes: number): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const hex = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(raw)
    ? raw.toLowerCase()
    : Buffer.from(raw, 'base64').toString('hex');
  return hex.length === bytes * 2 && !/^0+$/.test(hex) ? hex : undefined;
}

function nanos(raw: unknown): string {
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return raw.replace(/^0+(?=\d)/, '');
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return BigInt(Math.round(raw)).toString();
  return '0';
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

function arrayOf(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [];
}
