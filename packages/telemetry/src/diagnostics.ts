import { DiagConsoleLogger, diag } from '@opentelemetry/api';
import { diagLogLevelFromString, setGlobalErrorHandler } from '@opentelemetry/core';
import type { TelemetrySettings } from './settings.ts';
import { writeStderr } from './stderr.ts';

export type Warn = (message: string) => void;

/**
 * What the preload says on stderr: the settings it replaced (one line each, at start-up),
 * the SDK's own diagnostics when `OTEL_LOG_LEVEL` asks for them, and failed exports — which
 * otherwise vanish silently (e.g. a missing roles/telemetry.tracesWriter on Cloud Run), at most
 * once a minute. Returns the function that writes a warning.
 */
export function reportProblems(settings: TelemetrySettings, env: NodeJS.ProcessEnv): Warn {
  const logLevel = env.OTEL_LOG_LEVEL?.trim();
  if (logLevel) diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  const warn: Warn = (message) => writeStderr('WARNING', `telemetry: ${message}`);
  for (const message of settings.warnings) warn(message);
  setGlobalErrorHandler(exportFailureReporter(settings, warn));
  return warn;
}

function exportFailureReporter(settings: TelemetrySettings, warn: Warn) {
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
