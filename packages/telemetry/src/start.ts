import { context, DiagConsoleLogger, diag, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  diagLogLevelFromString,
  setGlobalErrorHandler,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import {
  defaultResource,
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { CloudTraceContextPropagator } from './cloud-trace-context.ts';
import { createSpanExporter } from './exporter.ts';
import { nameServerSpansByRoute } from './fastify-routes.ts';
import { HTTP_SERVER_SCOPE, traceHttpServers } from './http-server-spans.ts';
import { createInstrumentations } from './instrumentations.ts';
import { traceLink } from './log-fields.ts';
import { PreciseSpanTimes } from './precise-span-times.ts';
import { fetchProjectId, LOCAL_PROJECT_ID, projectIdSource } from './project-id.ts';
import { samplerFromEnv } from './sampler.ts';
import { exportsToGoogle, readTelemetrySettings, type TelemetrySettings } from './settings.ts';
import { setTelemetryState, type TelemetryState, telemetryState } from './state.ts';

/** Cloud Run kills 10 s after SIGTERM; the server drain gets most of it, the last export the rest. */
const SHUTDOWN_TIMEOUT_MS = 2000;

/** Metadata server and token endpoints: plumbing of credentials, not hops of the chain. */
const UNTRACED_HOSTNAMES: ReadonlySet<string> = new Set([
  '169.254.169.254',
  'metadata.google.internal',
  'metadata.google.internal.',
  'oauth2.googleapis.com',
  'sts.googleapis.com',
  'iamcredentials.googleapis.com',
]);

/**
 * Starts tracing for this process: W3C propagation (plus Google's `X-Cloud-Trace-Context` on the
 * way in), a SERVER span per incoming request named by its Fastify route, a CLIENT span per
 * undici call, and one exporter chosen by environment.
 * Returns undefined (and touches nothing) when `OTEL_SDK_DISABLED=true`.
 *
 * Built from the trace SDK (`@opentelemetry/sdk-trace`) rather than `NodeSDK`: NodeSDK 0.301 loads
 * the gRPC, metrics and logs exporters at import, adding start-up time for signals we don't send.
 */
export async function startTelemetry(
  env: NodeJS.ProcessEnv = process.env,
): Promise<TelemetryState | undefined> {
  const existing = telemetryState();
  if (existing) return existing;
  const settings = readTelemetrySettings(env);
  if (settings.disabled) return undefined;

  const logLevel = env.OTEL_LOG_LEVEL?.trim();
  if (logLevel) diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  const warn = (message: string) => writeStderr('WARNING', `telemetry: ${message}`);
  for (const message of settings.warnings) warn(message);

  setGlobalErrorHandler(exportFailureReporter(settings, warn));

  const project = projectIdSource(env, exportsToGoogle(settings));
  // Asked before the app starts (the preload may await), so every log line of every request carries
  // the same trace field: a lookup still in flight would leave the first requests' lines without it.
  const fetched = project.metadataBase ? await fetchProjectId(project.metadataBase, 3000) : undefined;
  if (project.metadataBase && !fetched) {
    warn(
      `no project id from the metadata server at ${project.metadataBase}: log trace fields use "${LOCAL_PROJECT_ID}"`,
    );
  }
  const projectForResource = project.immediate ?? fetched;
  const state: TelemetryState = {
    projectId: projectForResource ?? LOCAL_PROJECT_ID,
    traceLink: (traceId) => traceLink(settings, state.projectId, traceId),
    shutdown: async () => {},
  };

  const exporter = await createSpanExporter(settings, warn);
  const provider = new TracerProvider({
    resource: defaultResource()
      .merge(
        resourceFromAttributes({
          ...(settings.serviceName ? { 'service.name': settings.serviceName } : {}),
          ...(settings.serviceVersion ? { 'service.version': settings.serviceVersion } : {}),
          ...(projectForResource ? { 'gcp.project_id': projectForResource } : {}),
        }),
      )
      // Explicit OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME win over what Cloud Run's variables say.
      .merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] })),
    sampler: samplerFromEnv(env, warn),
    // Precise times first: every processor after it, and the exporter, see the restamped span.
    spanProcessors: exporter ? [new PreciseSpanTimes(), spanProcessorFor(exporter, settings, env)] : [],
  });

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      // The last propagator that finds its header wins: Google's legacy header first, W3C after it.
      propagators: [
        new CloudTraceContextPropagator(),
        new W3CTraceContextPropagator(),
        new W3CBaggagePropagator(),
      ],
    }),
  );
  trace.setGlobalTracerProvider(provider);

  const metadataHosts = configuredMetadataHosts(env);
  const isUntraced = (origin: URL) =>
    UNTRACED_HOSTNAMES.has(origin.hostname.toLowerCase()) || metadataHosts.has(origin.host.toLowerCase());
  const unregisterInstrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: createInstrumentations({ isUntraced }),
  });
  const untraceHttpServers = traceHttpServers(provider.getTracer(HTTP_SERVER_SCOPE));
  const unsubscribeFastify = nameServerSpansByRoute();
  const unregister = () => {
    unsubscribeFastify();
    untraceHttpServers();
    unregisterInstrumentations();
  };

  let stopping: Promise<void> | undefined;
  state.shutdown = () => {
    stopping ??= (async () => {
      unregister();
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref());
      await Promise.race([provider.shutdown().catch(() => {}), timeout]);
      setTelemetryState(undefined);
    })();
    return stopping;
  };
  setTelemetryState(state);
  return state;
}

function spanProcessorFor(
  exporter: SpanExporter,
  settings: TelemetrySettings,
  env: NodeJS.ProcessEnv,
): SpanProcessor {
  // Console output is for reading along; batching would only delay it.
  if (settings.exporter === 'console') return new SimpleSpanProcessor({ exporter });
  return new BatchSpanProcessor({
    exporter,
    scheduledDelayMillis: nonNegative(env.OTEL_BSP_SCHEDULE_DELAY),
    exportTimeoutMillis: nonNegative(env.OTEL_BSP_EXPORT_TIMEOUT),
    maxQueueSize: nonNegative(env.OTEL_BSP_MAX_QUEUE_SIZE),
    maxExportBatchSize: nonNegative(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
  });
}

/**
 * A configured metadata server (the local mesh's fake) as host:port: matching only its hostname
 * would also hide every other loopback call, e.g. hops through a local sidecar proxy.
 */
function configuredMetadataHosts(env: NodeJS.ProcessEnv): Set<string> {
  const hosts = new Set<string>();
  for (const raw of [env.GCE_METADATA_HOST, env.GCE_METADATA_IP]) {
    if (!raw?.trim()) continue;
    try {
      hosts.add(new URL(raw.includes('://') ? raw : `http://${raw}`).host.toLowerCase());
    } catch {
      // not a host: nothing to leave out
    }
  }
  return hosts;
}

/**
 * Failed exports otherwise vanish silently (no diag logger by default) — e.g. a missing
 * roles/telemetry.tracesWriter on Cloud Run. Say so on stderr, at most once a minute.
 */
function exportFailureReporter(settings: TelemetrySettings, warn: (message: string) => void) {
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (err: unknown) => {
    const now = performance.now();
    if (now - lastAt < 60_000) {
      suppressed++;
      return;
    }
    lastAt = now;
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 300);
    const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
    suppressed = 0;
    warn(`exporting spans to ${settings.tracesUrl} failed: ${message}${more}`);
  };
}

function nonNegative(raw: string | undefined): number | undefined {
  const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Same JSON shape as the service logs, so Cloud Logging shows the severity right. */
function writeStderr(severity: string, message: string): void {
  process.stderr.write(`${JSON.stringify({ severity, message, time: new Date().toISOString() })}\n`);
}
