export { adjustClockSkew } from './clock-skew.ts';
export { startTraceCollector, type TraceCollector, type TraceCollectorOptions } from './collector.ts';
export {
  type GraphEdge,
  type GraphNode,
  hopOf,
  ServiceGraph,
  type ServiceGraphView,
  type StatusClass,
} from './graph.ts';
export { spansFromOtlpJson } from './otlp-json.ts';
export { spansFromOtlpProtobuf } from './otlp-protobuf.ts';
export {
  DEFAULT_VIEWER_PORT,
  OTLP_LIMITS,
  startTraceViewer,
  type TraceViewer,
  type TraceViewerOptions,
} from './server.ts';
export { SPAN_LIMITS } from './span-limits.ts';
export {
  type AttributeValue,
  isSpanId,
  isTraceId,
  msFromUnixNano,
  type SpanAdjustment,
  type SpanKindName,
  type SpanRecord,
  type SpanStatus,
  type SpanStatusCode,
  type SpanView,
  type TraceSummary,
  type TraceView,
  unixNanoFromMs,
} from './span-record.ts';
export { TraceStore, type TraceStoreOptions } from './trace-store.ts';
export { renderTextWaterfall, type WaterfallRow, waterfallRows } from './waterfall.ts';
