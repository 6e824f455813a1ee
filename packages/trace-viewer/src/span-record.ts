/**
 * The span shape the viewer stores and serves. OTLP decoders produce it, and so can any
 * in-process producer (the local mesh records its sidecar hops with `TraceStore.add`).
 */

export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatusCode = 'unset' | 'ok' | 'error';

export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export interface SpanStatus {
  code: SpanStatusCode;
  message?: string | undefined;
}

export interface SpanRecord {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string | undefined;
  /** `service.name` of the process (or sidecar) that recorded the span. */
  serviceName: string;
  name: string;
  kind: SpanKindName;
  /** Nanoseconds since the Unix epoch, as a decimal string (beyond Number's exact range). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: SpanStatus;
  attributes: Record<string, AttributeValue>;
}

/** A stored span as the API returns it: the record plus milliseconds, easy to draw. */
export interface SpanView extends SpanRecord {
  /** Start, milliseconds since the Unix epoch (fractional). */
  startMs: number;
  durationMs: number;
  /** Set when the viewer moved or clipped the span into its parent (clock-skew.ts); raw times kept. */
  adjusted?: SpanAdjustment;
}

export interface SpanAdjustment {
  shiftedMs: number;
  clipped: boolean;
  rawStartMs: number;
  rawDurationMs: number;
  reason: string;
}

export interface TraceSummary {
  traceId: string;
  /** The earliest span without a parent in this trace (or the earliest span). */
  rootService: string;
  rootName: string;
  services: string[];
  spanCount: number;
  errorCount: number;
  startMs: number;
  durationMs: number;
}

export interface TraceView {
  traceId: string;
  spans: SpanView[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value) && !/^0+$/.test(value);
}

export function isSpanId(value: string): boolean {
  return SPAN_ID.test(value) && !/^0+$/.test(value);
}

export function unixNanoFromMs(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

export function msFromUnixNano(nanos: string): number {
  return Number(BigInt(nanos) / 1000n) / 1000;
}
