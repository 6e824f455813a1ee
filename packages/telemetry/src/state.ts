/**
 * What the preload learned, shared with the log fields. Kept on `globalThis` (like the
 * OpenTelemetry API keeps its globals) so a second copy of this package — e.g. the preload loaded
 * from dist/ and the app importing src/ — still sees the one running SDK.
 */
export interface TelemetryState {
  /** Undefined while the metadata server is still being asked. */
  projectId: string | undefined;
  /** Where a person opens a trace: the Cloud Trace console or the local viewer. */
  traceLink: (traceId: string) => string | undefined;
  /** Flushes buffered spans and stops the SDK; safe to call more than once. */
  shutdown: () => Promise<void>;
}

const KEY = Symbol.for('meshapps.telemetry.state');

export function telemetryState(): TelemetryState | undefined {
  return (globalThis as { [KEY]?: TelemetryState })[KEY];
}

export function setTelemetryState(state: TelemetryState | undefined): void {
  (globalThis as { [KEY]?: TelemetryState })[KEY] = state;
}
