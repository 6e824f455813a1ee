import { startTraceCollector, type TraceCollector } from '@meshapps/trace-viewer';
import type { Cleanup } from './cleanup.ts';
import { compileCacheEnv } from './compile-cache.ts';
import { portInUse } from './entries.ts';

/**
 * Every service exports spans here, as they would to Cloud Trace; the sidecars add theirs.
 * The collector is a process of its own: no export, however large, stalls the mesh.
 * Returns it with the environment that points the apps' OpenTelemetry SDK at it.
 */
export async function startCollector(
  port: number,
  progress: (line: string) => void,
  cleanup: Cleanup,
): Promise<{ viewer: TraceCollector; telemetryEnv: Record<string, string> }> {
  const viewer = await startTraceCollector({
    host: '127.0.0.1',
    port,
    onEvent: (line) => progress(line),
    // Warm, it never loads the TypeScript stripper (decision 110), as the apps (decision 053).
    env: compileCacheEnv(),
  }).catch((err: NodeJS.ErrnoException) => {
    throw portInUse(err, port, '--trace-port', 'the trace viewer');
  });
  cleanup.push(() => viewer.close());
  const telemetryEnv = {
    OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpEndpoint,
    // Short batches, so a trace is complete a moment after the response.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  return { viewer, telemetryEnv };
}
