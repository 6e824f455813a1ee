import { shutdownTelemetry, traceLogFields } from '@meshapps/telemetry';
import type { FastifyInstance } from 'fastify';
import { readCloudRunEnv } from './cloud-run-env.ts';
import { createService } from './create-service.ts';
import { closeGracefully } from './graceful-shutdown.ts';
import { createLogger } from './logger.ts';

export interface RunServiceOptions {
  /** Name used when K_SERVICE is unset (e.g. `node dist/main.js` on a laptop). */
  defaultName: string;
  routes: (app: FastifyInstance, service: string) => Promise<void> | void;
}

/** The whole life of a service process: read env, build, listen on $PORT, drain on SIGTERM. */
export async function runService(opts: RunServiceOptions): Promise<FastifyInstance> {
  const env = readCloudRunEnv(process.env, opts.defaultName);
  const logger = createLogger({ service: env.service, revision: env.revision });
  const app = await createService({
    logger,
    // Trace fields on every line of a request (none unless the @meshapps/telemetry/register preload runs).
    requestLogFields: traceLogFields,
    routes: (a) => opts.routes(a, env.service),
  });
  closeGracefully(app, { onClosed: shutdownTelemetry });
  // Cloud Run's contract: all interfaces on $PORT. The local mesh sets LISTEN_ADDRESS to loopback.
  await app.listen({ host: env.listenAddress, port: env.port });
  return app;
}
