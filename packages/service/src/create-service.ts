import { readRequestTarget } from '@meshapps/request-target';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Logger } from 'pino';
import { HopError } from './errors.ts';

export interface ServiceOptions {
  logger: Logger;
  /**
   * Fields for every line a request logs, taken once as it arrives (its trace: see
   * @meshapps/telemetry). Bound into the request's logger, so they are serialised once per
   * request, not once per line, and stay right in callbacks that run outside its context.
   */
  requestLogFields?: () => Record<string, unknown>;
  /** Registers the service's own routes. */
  routes: (app: FastifyInstance) => Promise<void> | void;
}

/**
 * A Fastify app with what Cloud Run expects of every service: `/healthz`, JSON logs, and
 * errors as one small JSON shape (never a stack trace).
 */
export async function createService(opts: ServiceOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    childLoggerFactory: (logger, bindings, options) =>
      logger.child(opts.requestLogFields ? { ...bindings, ...opts.requestLogFields() } : bindings, options),
    // Cloud Run ends requests itself (default 300 s); this only guards against stuck sockets.
    requestTimeout: 120_000,
    return503OnClosing: true,
    // The router refuses some URLs (bad percent-encoding such as `/call/%zz`) before any route or
    // error handler runs; without this they would get Fastify's own error body, not ours.
    frameworkErrors: (error, _req, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
      (reply as FastifyReply).code(status).send(new HopError(status, error.message).toBody());
    },
  });

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.setNotFoundHandler((req, reply) => {
    const err = new HopError(
      404,
      `no route for ${req.method} ${readRequestTarget(req.url)?.path ?? req.url}`,
    );
    return reply.code(404).send(err.toBody());
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error instanceof HopError) {
      // 4xx/5xx from a hop is expected demo behaviour (e.g. the IAM 403), not a crash.
      req.log.info({ status: error.status, hop: error.hop }, error.message);
      return reply.code(error.status).send(error.toBody());
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) req.log.error({ err: error }, 'request failed');
    const message = status >= 500 ? 'internal error' : error.message;
    return reply.code(status).send(new HopError(status, message).toBody());
  });

  await opts.routes(app);
  return app;
}
