import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Published by Fastify for every instance it creates, before any plugin or route. */
const INITIALIZATION = 'fastify.initialization';

/**
 * What the trace needs from Fastify, without a span of its own: the route that matched names
 * the HTTP server span (`GET /call/*`, attribute `http.route` — the HTTP instrumentation reads
 * it from the request's RPC metadata when the response ends), and `onTraced` runs once per
 * traced request with Fastify's request logger (e.g. to log where the trace is).
 *
 * This replaces @fastify/otel, whose extra INTERNAL span per request repeated the server span's
 * name and time (decision 050). Returns the unsubscribe.
 */
export function nameServerSpansByRoute(onTraced?: (span: Span, request: FastifyRequest) => void): () => void {
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const rpc = getRPCMetadata(context.active());
    // No metadata: an untraced path (/healthz) or no HTTP server span at all.
    if (rpc?.type === RPCType.HTTP) {
      if (request.routeOptions.url !== undefined) rpc.route = request.routeOptions.url;
      onTraced?.(rpc.span, request);
    }
    done();
  };
  const onInstance = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRequest', onRequest);
  };
  subscribe(INITIALIZATION, onInstance);
  return () => unsubscribe(INITIALIZATION, onInstance);
}
