// What every service preloads (`node --import @meshapps/telemetry/register`), in the shape of the
// @opentelemetry/sdk-trace README's "More complete tracing setup". Google Cloud's part: OTLP to the
// Telemetry API with the service account's token (decision 010), X-Cloud-Trace-Context read on the
// way in, the project id for log trace fields. The other files of this folder are its helpers.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { CloudTraceContextPropagator } from './cloud-trace-context.ts';
import { reportProblems } from './diagnostics.ts';
import { createSpanExporter } from './exporter.ts';
import { nameServerSpansByRoute } from './fastify-routes.ts';
import { publishTelemetry } from './lifecycle.ts';
import { hopName, isHealthCheck, plumbingOrigins } from './plumbing.ts';
import { serviceResource } from './resource.ts';
import { samplerFromEnv } from './sampler.ts';
import { readTelemetrySettings } from './settings.ts';
import { withSharedClock } from './shared-clock.ts';

export async function startTelemetry(env: NodeJS.ProcessEnv = process.env) {
  const settings = readTelemetrySettings(env);
  const warn = reportProblems(settings, env);
  const { resource, projectId } = await serviceResource(settings, env, warn);
  const exporter = await createSpanExporter(settings, warn);
  const provider = new TracerProvider({
    resource,
    sampler: samplerFromEnv(env, warn),
    spanProcessors: exporter ? [new BatchSpanProcessor({ exporter, ...settings.batch })] : [],
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
  const tracerProvider = withSharedClock(provider); // one time base for the machine (decision 086)
  trace.setGlobalTracerProvider(tracerProvider);

  const isPlumbing = plumbingOrigins(env); // the metadata server, token endpoints
  const unregister = registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => isHealthCheck(request.url),
        disableOutgoingRequestInstrumentation: true, // every hop goes through undici
        responseHook: (span, response) => {
          if ('setHeader' in response) response.setHeader('x-trace-id', span.spanContext().traceId);
        },
      }),
      new UndiciInstrumentation({
        ignoreRequestHook: (request) => isPlumbing(request.origin),
        requestHook: (span, request) => span.updateName(hopName(request)), // "GET target1.meshapps.internal"
      }),
    ],
  });
  const unnameRoutes = nameServerSpansByRoute(); // "GET /call/*": the Fastify route names the server span
  return publishTelemetry(settings, projectId, provider, [unnameRoutes, unregister]);
}
