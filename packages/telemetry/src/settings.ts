/**
 * Everything the preload decides from the environment, in one pure function so it can be tested
 * without starting an SDK. Only standard variables are read: Cloud Run's `K_*` and `OTEL_*`.
 */
import type { BatchSpanProcessorOptions } from '@opentelemetry/sdk-trace';

/** Google's OTLP endpoint (Telemetry API); the exporter appends `/v1/traces`. */
export const GOOGLE_TELEMETRY_ENDPOINT = 'https://telemetry.googleapis.com';

export type BatchOptions = Pick<
  BatchSpanProcessorOptions,
  'scheduledDelayMillis' | 'exportTimeoutMillis' | 'maxQueueSize' | 'maxExportBatchSize'
>;
export type TracesExporterName = 'otlp' | 'console' | 'none' | 'google_cloud_trace';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetrySettings {
  /** `OTEL_SDK_DISABLED=true`: no SDK, no instrumentation, no export. */
  disabled: boolean;
  /** From `K_SERVICE` (Cloud Run); `OTEL_SERVICE_NAME` still wins in the resource. */
  serviceName: string | undefined;
  /** From `K_REVISION`. */
  serviceVersion: string | undefined;
  exporter: TracesExporterName;
  protocol: OtlpProtocol;
  /** Full URL spans are POSTed to (OTLP exporters only). */
  tracesUrl: string;
  /** Attach Google credentials: only for https://*.googleapis.com, never for a local collector. */
  googleAuth: boolean;
  /** Origin of a collector on this machine (the local trace viewer), for log links. */
  localCollector: string | undefined;
  /** `OTEL_BSP_*` as BatchSpanProcessor options; one left out keeps the SDK's default. */
  batch: BatchOptions;
  /** Things worth one line on stderr at start-up (unsupported values that were replaced). */
  warnings: string[];
}

const EXPORTERS: readonly TracesExporterName[] = ['otlp', 'console', 'none', 'google_cloud_trace'];

export function readTelemetrySettings(env: NodeJS.ProcessEnv): TelemetrySettings {
  const warnings: string[] = ignoredValues(env);
  const tracesUrl = resolveTracesUrl(env);
  const url = safeUrl(tracesUrl);
  if (!url) warnings.push(`OTLP traces endpoint "${tracesUrl}" is not a URL`);
  const loopbackHttp = url?.protocol === 'http:' && isLoopback(url.hostname);

  return {
    disabled: (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true',
    serviceName: env.K_SERVICE || undefined,
    serviceVersion: env.K_REVISION || undefined,
    exporter: readExporter(env.OTEL_TRACES_EXPORTER, warnings),
    protocol: readProtocol(
      env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL,
      warnings,
    ),
    tracesUrl,
    // A Google access token must only ever travel to Google: not to a local or third-party collector.
    googleAuth: url?.protocol === 'https:' && url.hostname.endsWith('.googleapis.com'),
    localCollector: loopbackHttp && url ? url.origin : undefined,
    batch: readBatchOptions(env, warnings),
    warnings,
  };
}

/** OTLP spec: the per-signal variable is used as is; the generic one gets `/v1/traces` appended. */
function resolveTracesUrl(env: NodeJS.ProcessEnv): string {
  const perSignal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (perSignal) return perSignal;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || GOOGLE_TELEMETRY_ENDPOINT;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function readExporter(raw: string | undefined, warnings: string[]): TracesExporterName {
  // The variable is a list; this stack sends to one place, so the first entry decides.
  const first = (raw ?? '').split(',')[0]?.trim().toLowerCase() || 'otlp';
  if ((EXPORTERS as readonly string[]).includes(first)) return first as TracesExporterName;
  warnings.push(`OTEL_TRACES_EXPORTER="${raw}" is not supported (${EXPORTERS.join(', ')}): using otlp`);
  return 'otlp';
}

function readProtocol(raw: string | undefined, warnings: string[]): OtlpProtocol {
  const value = raw?.trim().toLowerCase() || 'http/protobuf';
  if (value === 'http/protobuf' || value === 'http/json') return value;
  warnings.push(
    `OTLP protocol "${raw}" is not supported here (http/protobuf, http/json): using http/protobuf`,
  );
  return 'http/protobuf';
}

function safeUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Spans end up in Google Cloud Trace (so the project id and console links matter). */
export function exportsToGoogle(settings: TelemetrySettings): boolean {
  return (settings.exporter === 'otlp' && settings.googleAuth) || settings.exporter === 'google_cloud_trace';
}

const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];
const BATCH_VARIABLES = {
  OTEL_BSP_SCHEDULE_DELAY: 'scheduledDelayMillis',
  OTEL_BSP_EXPORT_TIMEOUT: 'exportTimeoutMillis',
  OTEL_BSP_MAX_QUEUE_SIZE: 'maxQueueSize',
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'maxExportBatchSize',
} as const;

/**
 * The standard `OTEL_BSP_*` variables (SDK 3.x leaves reading them to the caller); a value that is
 * not a non-negative number keeps the default, with a warning.
 */
function readBatchOptions(env: NodeJS.ProcessEnv, warnings: string[]): BatchOptions {
  const options: BatchOptions = {};
  for (const [name, option] of Object.entries(BATCH_VARIABLES)) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= 0) options[option] = value;
    else warnings.push(`${name}="${raw}" is not a non-negative number: the default is used`);
  }
  return options;
}

/** Standard variables set to something this preload will not act on: say so instead of ignoring it. */
function ignoredValues(env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled && disabled !== 'true' && disabled !== 'false') {
    warnings.push(`OTEL_SDK_DISABLED="${env.OTEL_SDK_DISABLED}" is not true or false: tracing stays on`);
  }
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (exporters.length > 1) {
    warnings.push(
      `OTEL_TRACES_EXPORTER="${env.OTEL_TRACES_EXPORTER}": only the first exporter (${exporters[0]}) is used`,
    );
  }
  if (env.OTEL_PROPAGATORS?.trim()) {
    warnings.push(
      `OTEL_PROPAGATORS is not read: propagation is fixed to X-Cloud-Trace-Context (read only), tracecontext and baggage`,
    );
  }
  const level = env.OTEL_LOG_LEVEL?.trim().toLowerCase();
  if (level && !LOG_LEVELS.includes(level)) {
    warnings.push(`OTEL_LOG_LEVEL="${env.OTEL_LOG_LEVEL}" is not one of ${LOG_LEVELS.join(', ')}: ignored`);
  }
  return warnings;
}
