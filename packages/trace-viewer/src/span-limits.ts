import type { AttributeValue, SpanView } from './span-record.ts';

/**
 * What one span may bring into the store. A trace viewer needs the first few KiB of a value to
 * show it; a 15 MB attribute must not cost 15 MB per span (nor be kept alive by a slice of it).
 * The OpenTelemetry SDK's own limits are similar (128 attributes per span by default).
 */
export const SPAN_LIMITS = {
  attributesPerSpan: 128,
  /** Characters of a string value or name kept; the rest is replaced by a marker. */
  valueChars: 4096,
  keyChars: 256,
  arrayItems: 128,
  /** Nesting of arrays and key-value lists. */
  depth: 4,
} as const;

/**
 * `view` with every field within SPAN_LIMITS: the view itself when it already is (almost every
 * span: copying them all was a tenth of the collector's work, docs/performance.md finding 11),
 * else a new object (the input is not changed).
 */
export function limitSpan(view: SpanView): SpanView {
  if (withinLimits(view)) return view;
  const limited: SpanView = {
    ...view,
    serviceName: clip(view.serviceName, SPAN_LIMITS.keyChars),
    name: clip(view.name, SPAN_LIMITS.valueChars),
    status:
      view.status.message === undefined
        ? { code: view.status.code }
        : { code: view.status.code, message: clip(view.status.message, SPAN_LIMITS.valueChars) },
    attributes: limitMap(view.attributes, 0),
  };
  return limited;
}

function withinLimits(view: SpanView): boolean {
  return (
    view.serviceName.length <= SPAN_LIMITS.keyChars &&
    view.name.length <= SPAN_LIMITS.valueChars &&
    (view.status.message?.length ?? 0) <= SPAN_LIMITS.valueChars &&
    Object.keys(view.status).every((k) => k === 'code' || k === 'message') &&
    mapWithin(view.attributes, 0)
  );
}

function mapWithin(map: Record<string, AttributeValue>, depth: number): boolean {
  let count = 0;
  for (const key in map) {
    if (!Object.hasOwn(map, key)) return false;
    if (++count > SPAN_LIMITS.attributesPerSpan || key.length > SPAN_LIMITS.keyChars) return false;
    if (!valueWithin(map[key] as AttributeValue, depth + 1)) return false;
  }
  return true;
}

function valueWithin(value: AttributeValue, depth: number): boolean {
  if (typeof value === 'string') return value.length <= SPAN_LIMITS.valueChars;
  if (value === null || typeof value !== 'object') return true;
  if (depth > SPAN_LIMITS.depth) return false;
  if (Array.isArray(value)) {
    return value.length <= SPAN_LIMITS.arrayItems && value.every((v) => valueWithin(v, depth + 1));
  }
  return mapWithin(value, depth);
}

function limitMap(map: Record<string, AttributeValue>, depth: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const keys = Object.keys(map);
  for (const key of keys.slice(0, SPAN_LIMITS.attributesPerSpan)) {
    out[clip(key, SPAN_LIMITS.keyChars)] = limitValue(map[key] as AttributeValue, depth + 1);
  }
  if (keys.length > SPAN_LIMITS.attributesPerSpan) {
    out['meshapps.dropped_attributes'] = keys.length - SPAN_LIMITS.attributesPerSpan;
  }
  return out;
}

function limitValue(value: AttributeValue, depth: number): AttributeValue {
  if (typeof value === 'string') return clip(value, SPAN_LIMITS.valueChars);
  if (value === null || typeof value !== 'object') return value;
  if (depth > SPAN_LIMITS.depth) return '[nested too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, SPAN_LIMITS.arrayItems).map((v) => limitValue(v, depth + 1));
    if (value.length > SPAN_LIMITS.arrayItems) items.push(`[${value.length - SPAN_LIMITS.arrayItems} more]`);
    return items;
  }
  return limitMap(value, depth);
}

/** At most `max` characters, copied (a plain slice could keep the whole original string alive). */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const kept = Buffer.from(s.slice(0, max), 'utf8').toString('utf8');
  return `${kept}…[${s.length - max} more characters]`;
}

/** Roughly what a stored span costs in memory: strings at two bytes a character, plus overheads. */
export function approxBytes(view: SpanView): number {
  return (
    400 +
    2 * (view.name.length + view.serviceName.length + (view.status.message?.length ?? 0)) +
    sizeOfMap(view.attributes)
  );
}

function sizeOfMap(map: Record<string, AttributeValue>): number {
  let n = 32;
  for (const [k, v] of Object.entries(map)) n += 16 + 2 * k.length + sizeOf(v);
  return n;
}

function sizeOf(v: AttributeValue): number {
  if (typeof v === 'string') return 16 + 2 * v.length;
  if (v === null || typeof v !== 'object') return 16;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + sizeOf(x), 32);
  return sizeOfMap(v);
}
