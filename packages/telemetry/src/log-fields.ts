import { isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api';
import { exportsToGoogle, type TelemetrySettings } from './settings.ts';
import { telemetryState } from './state.ts';

export const TRACE_FIELD = 'logging.googleapis.com/trace';
export const SPAN_ID_FIELD = 'logging.googleapis.com/spanId';
export const TRACE_SAMPLED_FIELD = 'logging.googleapis.com/trace_sampled';

/**
 * The Cloud Logging fields that put a log line under its trace in the console
 * (https://cloud.google.com/trace/docs/trace-log-integration), and `traceUrl`, for the active span: the service
 * binds them into each request's logger as the request arrives. Empty when the preload is not
 * running (`OTEL_SDK_DISABLED=true`, or started without `--import @meshapps/telemetry/register`).
 */
export function traceLogFields(): Record<string, unknown> {
  const state = telemetryState();
  if (!state) return {};
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  const fields: Record<string, unknown> = {
    [SPAN_ID_FIELD]: spanContext.spanId,
    [TRACE_SAMPLED_FIELD]: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  };
  if (state.projectId) fields[TRACE_FIELD] = `projects/${state.projectId}/traces/${spanContext.traceId}`;
  // Where a person opens the trace. On every line rather than a line of its own: a line more per
  // request cost more than the span itself (docs/performance.md, finding 9).
  const link = state.traceLink(spanContext.traceId);
  if (link) fields.traceUrl = link;
  return fields;
}

export function cloudTraceConsoleUrl(projectId: string, traceId: string): string {
  return `https://console.cloud.google.com/traces/list?project=${encodeURIComponent(projectId)}&tid=${traceId}`;
}

/** The local viewer (packages/trace-viewer) opens a trace from `/?trace=<id>`. */
export function localViewerUrl(origin: string, traceId: string): string {
  return `${origin}/?trace=${traceId}`;
}

/**
 * Where a person opens a trace: the Cloud Trace console when spans go to Google (once the project
 * is known), the local viewer when they go to a collector on this machine, else nowhere.
 */
export function traceLink(
  settings: TelemetrySettings,
  projectId: string | undefined,
  traceId: string,
): string | undefined {
  if (exportsToGoogle(settings)) return projectId ? cloudTraceConsoleUrl(projectId, traceId) : undefined;
  if (settings.exporter !== 'otlp') return undefined;
  return settings.localCollector ? localViewerUrl(settings.localCollector, traceId) : undefined;
}
