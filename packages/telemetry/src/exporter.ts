import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { ConsoleSpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { googleAuthHeaders } from './google-auth-headers.ts';
import type { TelemetrySettings } from './settings.ts';

/** Deprecated upstream (archived after 2026-10-30): selectable, never installed by default. */
export const LEGACY_CLOUD_TRACE_EXPORTER = '@google-cloud/opentelemetry-cloud-trace-exporter';

/**
 * The span exporter `OTEL_TRACES_EXPORTER` asks for. Exporter modules are imported on demand so a
 * service loads only the one it uses (start-up time is Cloud Run cold-start time).
 */
export async function createSpanExporter(
  settings: TelemetrySettings,
  warn: (message: string) => void,
): Promise<SpanExporter | undefined> {
  switch (settings.exporter) {
    case 'none':
      return undefined;
    case 'console':
      return new ConsoleSpanExporter();
    case 'google_cloud_trace': {
      const legacy = await legacyCloudTraceExporter(warn);
      if (legacy) return legacy;
      return new DeferredSpanExporter(() => otlpExporter(settings));
    }
    case 'otlp':
      return new DeferredSpanExporter(() => otlpExporter(settings));
  }
}

/**
 * Loads the real exporter on the first export instead of at start-up: the OTLP exporter modules
 * (protobuf serialisation, HTTP transport) cost ~60 ms of cold start, and the first batch leaves
 * seconds after the first request anyway.
 */
export class DeferredSpanExporter implements SpanExporter {
  private loaded: Promise<SpanExporter> | undefined;
  private readonly load: () => Promise<SpanExporter>;

  constructor(load: () => Promise<SpanExporter>) {
    this.load = load;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.loaded ??= this.load();
    this.loaded.then(
      (exporter) => exporter.export(spans, resultCallback),
      (error: unknown) => {
        this.loaded = undefined; // try again with the next batch
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      },
    );
  }

  async forceFlush(): Promise<void> {
    await (await this.loaded?.catch(() => undefined))?.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await (await this.loaded?.catch(() => undefined))?.shutdown();
  }
}

async function otlpExporter(settings: TelemetrySettings): Promise<SpanExporter> {
  const config = {
    url: settings.tracesUrl,
    ...(settings.googleAuth ? { headers: googleAuthHeaders() } : {}),
  };
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(config);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(config);
}

/** See docs/decisions/010-otlp-to-telemetry-api.md for why this is opt-in and how to install it. */
async function legacyCloudTraceExporter(warn: (message: string) => void): Promise<SpanExporter | undefined> {
  // A variable specifier: the package is not a dependency, so neither tsc nor a bundler should resolve it.
  const specifier: string = LEGACY_CLOUD_TRACE_EXPORTER;
  let mod: { TraceExporter?: new () => SpanExporter };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch {
    warn(
      `OTEL_TRACES_EXPORTER=google_cloud_trace needs ${LEGACY_CLOUD_TRACE_EXPORTER} ` +
        `(pnpm --filter @meshapps/telemetry add ${LEGACY_CLOUD_TRACE_EXPORTER}@3.1.0): using OTLP instead`,
    );
    return undefined;
  }
  if (typeof mod.TraceExporter !== 'function') {
    warn(`${LEGACY_CLOUD_TRACE_EXPORTER} has no TraceExporter export: using OTLP instead`);
    return undefined;
  }
  return new mod.TraceExporter();
}
