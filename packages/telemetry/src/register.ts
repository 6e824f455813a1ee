/**
 * The preload: `node --import @meshapps/telemetry/register main.js` (add `--conditions=source` to
 * run the TypeScript sources). It must run before the app imports Fastify and undici so their
 * instrumentations are in place. A telemetry failure never stops the service from starting.
 */
import { readTelemetrySettings } from './settings.ts';
import { telemetryState } from './state.ts';
import { writeStderr } from './stderr.ts';

// With OTEL_SDK_DISABLED=true not even the SDK modules are loaded: no cost, nothing patched.
if (!readTelemetrySettings(process.env).disabled && !telemetryState()) {
  try {
    const { startTelemetry } = await import('./instrumentation.ts');
    await startTelemetry(process.env);
  } catch (err) {
    writeStderr('ERROR', `telemetry: not started: ${err instanceof Error ? err.message : String(err)}`);
  }
}
