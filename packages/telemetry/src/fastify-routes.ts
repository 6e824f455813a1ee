import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serverSpanOf } from './http-server-spans.ts';

/** Published by Fastify for every instance it creates, before any plugin or route. */
const INITIALIZATION = 'fastify.initialization';

/**
 * What the trace needs from Fastify, without a span of its own: the route that matched names
 * the HTTP server span (`GET /call/*`, attribute `http.route`).
 *
 * This replaces @fastify/otel, whose extra INTERNAL span per request repeated the server span's
 * name and time (decision 050). Returns the unsubscribe.
 */
export function nameServerSpansByRoute(): () => void {
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    // No span: an untraced path (/healthz) or no tracing at all.
    const span = serverSpanOf(request.raw);
    if (span) {
      const route = request.routeOptions.url;
      if (route !== undefined) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
    }
    done();
  };
  const onInstance = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRequest', onRequest);
  };
  subscribe(INITIALIZATION, onInstance);
  return () => unsubscribe(INITIALIZATION, onInstance);
}
