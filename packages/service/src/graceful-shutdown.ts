import type { FastifyInstance } from 'fastify';

export interface ShutdownOptions {
  /** Cloud Run sends SIGKILL 10 s after SIGTERM: finish well inside that. */
  graceMs?: number;
  signals?: readonly NodeJS.Signals[];
  /** Runs after the server closed (e.g. flush telemetry). */
  onClosed?: () => Promise<void>;
  exit?: (code: number) => void;
  /** Resolves when the grace period is over: a timer of graceMs (tests pass their own clock). */
  graceOver?: (graceMs: number) => Promise<void>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * On SIGTERM: stop accepting, let in-flight requests finish, then exit.
 * Keep-alive clients would hold `close()` open for up to 72 s, so idle sockets are closed
 * repeatedly while draining; whatever is still open at the deadline is cut.
 */
export function closeGracefully(app: FastifyInstance, opts: ShutdownOptions = {}): void {
  const graceMs = opts.graceMs ?? 8000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let closing = false;

  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const started = performance.now();
    const idleSweep = setInterval(() => app.server.closeIdleConnections(), 100);
    const deadline = (opts.graceOver ?? timer)(graceMs).then(() => 'timeout' as const);
    let code = 0;
    try {
      const outcome = await Promise.race([app.close().then(() => 'closed' as const), deadline]);
      if (outcome === 'timeout') {
        app.log.warn({ graceMs }, 'grace period over: closing remaining connections');
        app.server.closeAllConnections();
        code = 1;
      }
      await opts.onClosed?.();
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      code = 1;
    } finally {
      clearInterval(idleSweep);
    }
    app.log.info({ ms: Math.round(performance.now() - started) }, 'stopped');
    exit(code);
  };

  for (const signal of opts.signals ?? ['SIGTERM', 'SIGINT']) process.once(signal, shutdown);
}
