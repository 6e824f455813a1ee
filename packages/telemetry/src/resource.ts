import {
  defaultResource,
  detectResources,
  type Resource,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import type { Warn } from './diagnostics.ts';
import { fetchProjectId, LOCAL_PROJECT_ID, projectIdSource } from './project-id.ts';
import { exportsToGoogle, type TelemetrySettings } from './settings.ts';

/** How long the preload waits for the metadata server's project id before the app starts. */
const PROJECT_ID_TIMEOUT_MS = 3000;

/**
 * The service's resource: `service.name` and `service.version` from Cloud Run's `K_SERVICE` and
 * `K_REVISION`, `gcp.project_id`, and whatever `OTEL_RESOURCE_ATTRIBUTES` / `OTEL_SERVICE_NAME`
 * say (they win). Also the project id the log trace field names (`LOCAL_PROJECT_ID` when none).
 *
 * The metadata server is asked before the app starts (the preload may await), so every log line
 * of every request carries the same trace field: a lookup still in flight would leave the first
 * requests' lines without it.
 */
export async function serviceResource(
  settings: TelemetrySettings,
  env: NodeJS.ProcessEnv,
  warn: Warn,
): Promise<{ resource: Resource; projectId: string }> {
  const project = projectIdSource(env, exportsToGoogle(settings));
  const fetched = project.metadataBase
    ? await fetchProjectId(project.metadataBase, PROJECT_ID_TIMEOUT_MS)
    : undefined;
  if (project.metadataBase && !fetched) {
    warn(
      `no project id from the metadata server at ${project.metadataBase}: log trace fields use "${LOCAL_PROJECT_ID}"`,
    );
  }
  const projectId = project.immediate ?? fetched;
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        ...(settings.serviceName ? { 'service.name': settings.serviceName } : {}),
        ...(settings.serviceVersion ? { 'service.version': settings.serviceVersion } : {}),
        ...(projectId ? { 'gcp.project_id': projectId } : {}),
      }),
    )
    .merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }));
  return { resource, projectId: projectId ?? LOCAL_PROJECT_ID };
}
