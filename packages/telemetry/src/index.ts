// What apps import at run time. Deliberately light (only @opentelemetry/api): the SDK itself is
// loaded by the preload (`@meshapps/telemetry/register`), never by importing this module.
export {
  CLOUD_TRACE_HEADER,
  CloudTraceContextPropagator,
  parseCloudTraceContext,
} from './cloud-trace-context.ts';
export { TRACE_ID_HEADER } from './headers.ts';
export {
  cloudTraceConsoleUrl,
  localViewerUrl,
  SPAN_ID_FIELD,
  TRACE_FIELD,
  TRACE_SAMPLED_FIELD,
  traceLink,
  traceLogFields,
} from './log-fields.ts';
export { LOCAL_PROJECT_ID } from './project-id.ts';
export {
  exportsToGoogle,
  GOOGLE_TELEMETRY_ENDPOINT,
  readTelemetrySettings,
  type TelemetrySettings,
} from './settings.ts';
export { type TelemetryState, telemetryState } from './state.ts';
export { formatTraceparent, parseTraceparent, randomSpanId, type TraceParent } from './trace-context.ts';
export { preciseNowMs } from './wall-clock.ts';

import { telemetryState } from './state.ts';

/** Flushes spans still buffered and stops the SDK (call after the server closed, before exit). */
export async function shutdownTelemetry(): Promise<void> {
  await telemetryState()?.shutdown();
}
