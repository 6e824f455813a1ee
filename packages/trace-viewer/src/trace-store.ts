import { approxBytes, limitSpan } from './span-limits.ts';
import {
  isSpanId,
  isTraceId,
  msFromUnixNano,
  type SpanRecord,
  type SpanView,
  type TraceSummary,
} from './span-record.ts';

export interface TraceStoreOptions {
  /** Traces kept; the least recently updated go first. */
  maxTraces?: number;
  /** Spans kept per trace (a runaway loop must not eat the memory). */
  maxSpansPerTrace?: number;
  /**
   * Sees every batch added (the service graph counts hops as they arrive): only the spans that
   * passed the id checks, each already within SPAN_LIMITS, so no consumer sees raw input.
   */
  onAdd?: (spans: readonly SpanView[]) => void;
  /** Approximate bytes of all stored spans; the least recently updated traces go first. */
  maxBytes?: number;
}

interface StoredTrace {
  spans: Map<string, SpanView>;
  bytes: number;
}

/**
 * Recent traces in memory, bounded by count and by bytes (each span's fields are capped by
 * SPAN_LIMITS first): enough for a workshop, never a database.
 */
export class TraceStore {
  private readonly traces = new Map<string, StoredTrace>();
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly onAdd: TraceStoreOptions['onAdd'];
  private readonly maxBytes: number;
  private totalBytes = 0;

  constructor(opts: TraceStoreOptions = {}) {
    this.maxTraces = opts.maxTraces ?? 500;
    this.maxSpansPerTrace = opts.maxSpansPerTrace ?? 2000;
    this.onAdd = opts.onAdd;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Adds spans from any producer (OTLP decoders, the local mesh's sidecar). Spans with malformed
   * ids are dropped; a span id seen again replaces the earlier record. Returns how many were kept.
   */
  add(spans: readonly SpanRecord[]): number {
    const valid: SpanView[] = [];
    for (const span of spans) {
      if (!isTraceId(span.traceId) || !isSpanId(span.spanId)) continue;
      valid.push(limitSpan(toView(span)));
    }
    this.onAdd?.(valid);
    let kept = 0;
    for (const view of valid) {
      let stored = this.traces.get(view.traceId);
      if (stored) {
        // Re-insert so Map order stays "least recently updated first" for eviction.
        this.traces.delete(view.traceId);
      } else {
        stored = { spans: new Map(), bytes: 0 };
      }
      this.traces.set(view.traceId, stored);
      const previous = stored.spans.get(view.spanId);
      if (stored.spans.size >= this.maxSpansPerTrace && !previous) continue;
      const bytes = approxBytes(view) - (previous ? approxBytes(previous) : 0);
      stored.spans.set(view.spanId, view);
      stored.bytes += bytes;
      this.totalBytes += bytes;
      kept++;
    }
    while (this.traces.size > this.maxTraces || (this.totalBytes > this.maxBytes && this.traces.size > 0)) {
      const [oldest, trace] = this.traces.entries().next().value as [string, StoredTrace];
      this.traces.delete(oldest);
      this.totalBytes -= trace.bytes;
    }
    return kept;
  }

  /** Approximate bytes held (what `maxBytes` bounds). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The trace's spans ordered by start time, or undefined when it is not (or no longer) here. */
  get(traceId: string): SpanView[] | undefined {
    const stored = this.traces.get(traceId);
    if (!stored) return undefined;
    return [...stored.spans.values()].sort((a, b) => a.startMs - b.startMs);
  }

  /** One trace's summary (as list() gives it), or undefined when it is not (or no longer) here. */
  summary(traceId: string): TraceSummary | undefined {
    const stored = this.traces.get(traceId);
    return stored ? summarise(traceId, [...stored.spans.values()]) : undefined;
  }

  /** Newest first, by the start of the trace. */
  list(limit = 50): TraceSummary[] {
    const summaries: TraceSummary[] = [];
    for (const [traceId, stored] of this.traces)
      summaries.push(summarise(traceId, [...stored.spans.values()]));
    return summaries.sort((a, b) => b.startMs - a.startMs).slice(0, Math.max(0, limit));
  }

  get size(): number {
    return this.traces.size;
  }

  clear(): void {
    this.traces.clear();
    this.totalBytes = 0;
  }
}

function toView(span: SpanRecord): SpanView {
  const startMs = msFromUnixNano(span.startTimeUnixNano);
  const endMs = msFromUnixNano(span.endTimeUnixNano);
  const view: SpanView = {
    traceId: span.traceId,
    spanId: span.spanId,
    serviceName: span.serviceName,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    status: span.status,
    attributes: span.attributes,
    startMs,
    durationMs: Math.max(0, endMs - startMs),
  };
  if (span.parentSpanId && isSpanId(span.parentSpanId)) view.parentSpanId = span.parentSpanId;
  return view;
}

function summarise(traceId: string, spans: SpanView[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const byStart = [...spans].sort((a, b) => a.startMs - b.startMs);
  const root = byStart.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? byStart[0];
  const startMs = byStart[0]?.startMs ?? 0;
  const endMs = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  return {
    traceId,
    rootService: root?.serviceName ?? '',
    rootName: root?.name ?? '',
    services: [...new Set(byStart.map((s) => s.serviceName))],
    spanCount: spans.length,
    errorCount: spans.filter((s) => s.status.code === 'error').length,
    startMs,
    durationMs: Math.max(0, endMs - startMs),
  };
}
