import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Published by Fastify for every instance it creates, before any plugin or route. */
const INITIALIZATION = 'fastify.initialization';

/**
 * The Fastify route that matched names the HTTP server span (`GET /call/*`, attribute
 * `http.route`): the route goes into the request's RPC metadata, which
 * `@opentelemetry/instrumentation-http` reads when the response ends — the way `@fastify/otel`
 * does it, without the extra span per request that `@fastify/otel` records (decision 086).
 * Returns the unsubscribe.
 */
export function nameServerSpansByRoute(): () => void {
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const rpc = getRPCMetadata(context.active());
    const route = request.routeOptions.url;
    if (rpc?.type === RPCType.HTTP && route !== undefined) rpc.route = route;
    done();
  };
  const onInstance = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRequest', onRequest);
  };
  subscribe(INITIALIZATION, onInstance);
  return () => unsubscribe(INITIALIZATION, onInstance);
}
