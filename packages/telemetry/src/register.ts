/**
 * The preload: `node --import @meshapps/telemetry/register main.js` (add `--conditions=source` to
 * run the TypeScript sources). It must run before the app imports Fastify and undici so their
 * instrumentations are in place. A telemetry failure never stops the service from starting.
 */
import { readTelemetrySettings } from './settings.ts';

// With OTEL_SDK_DISABLED=true not even the SDK modules are loaded: no cost, nothing patched.
if (!readTelemetrySettings(process.env).disabled) {
  try {
    const { startTelemetry } = await import('./start.ts');
    await startTelemetry(process.env);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `${JSON.stringify({ severity: 'ERROR', message: `telemetry: not started: ${message}`, time: new Date().toISOString() })}\n`,
    );
  }
}
