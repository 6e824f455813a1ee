import { traceLink } from './log-fields.ts';
import type { TelemetrySettings } from './settings.ts';
import { setTelemetryState, type TelemetryState } from './state.ts';

/** Cloud Run kills 10 s after SIGTERM; the server drain gets most of it, the last export the rest. */
const SHUTDOWN_TIMEOUT_MS = 2000;

/**
 * Makes the running SDK known to the log fields and to `shutdownTelemetry()`: the project the
 * trace field names, where a trace is opened, and how to stop — take the instrumentations out
 * (`unregister`), then flush what is buffered, within SHUTDOWN_TIMEOUT_MS.
 */
export function publishTelemetry(
  settings: TelemetrySettings,
  projectId: string,
  provider: { shutdown(): Promise<void> },
  unregister: readonly (() => void)[],
): TelemetryState {
  let stopping: Promise<void> | undefined;
  const state: TelemetryState = {
    projectId,
    traceLink: (traceId) => traceLink(settings, projectId, traceId),
    shutdown: () => {
      stopping ??= (async () => {
        for (const undo of unregister) undo();
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref());
        await Promise.race([provider.shutdown().catch(() => {}), timeout]);
        setTelemetryState(undefined);
      })();
      return stopping;
    },
  };
  setTelemetryState(state);
  return state;
}
