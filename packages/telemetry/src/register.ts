/**
 * The preload: `node --import @meshapps/telemetry/register main.js` (add `--conditions=source` to
 * run the TypeScript sources). It must run before the app imports Fastify and undici so their
 * instrumentations are in place. A telemetry failure never stops the service from starting.
 */
import { startTelemetry } from './start.ts';

try {
  await startTelemetry(process.env);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `${JSON.stringify({ severity: 'ERROR', message: `telemetry: not started: ${message}`, time: new Date().toISOString() })}\n`,
  );
}
