import { ServerResponse } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { FastifyRequest } from 'fastify';
import { TRACE_ID_HEADER } from './headers.ts';

/** Cloud Run and the local mesh probe this constantly: spans for it would bury the real ones. */
const UNTRACED_PATHS = new Set(['/healthz']);

export interface InstrumentationOptions {
  /** Calls that are plumbing (metadata server, token endpoints) get no spans. */
  isUntraced: (origin: URL) => boolean;
  /** Called once per traced request with Fastify's request logger. */
  onRequest?: (span: Span, request: FastifyRequest) => void;
}

/**
 * Only what this stack uses: the HTTP server (the SERVER span, from the incoming context),
 * Fastify (route and handler spans), and undici (CLIENT spans for every hop, with `traceparent`
 * injected). Outgoing node:http is left alone: nothing in the chain uses it, and the span
 * exporter does.
 */
export function createInstrumentations(opts: InstrumentationOptions): Instrumentation[] {
  return [
    new HttpInstrumentation({
      disableOutgoingRequestInstrumentation: true,
      ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(pathOf(req.url)),
      // For incoming requests this runs as the request starts, so the header can still be set.
      responseHook: (span, response) => {
        if (response instanceof ServerResponse && !response.headersSent) {
          response.setHeader(TRACE_ID_HEADER, span.spanContext().traceId);
        }
      },
    }),
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      ignorePaths: ({ url }) => UNTRACED_PATHS.has(pathOf(url)),
      // One Fastify span per request is enough to read a waterfall: no per-hook or handler spans.
      instrumentHooks: false,
      instrumentHandler: false,
      requestHook: (span, request) => {
        // "request" says nothing in a waterfall of many services; the route does.
        span.updateName(`fastify ${request.method} ${request.routeOptions.url ?? pathOf(request.url)}`);
        opts.onRequest?.(span, request);
      },
    }),
    new UndiciInstrumentation({
      // "GET" alone hides which hop this is; the host is the hop (through a proxy, path is absolute).
      requestHook: (span, request) => {
        const host = hostOfRequest(request.origin, request.path);
        if (host) span.updateName(`${request.method} ${host}`);
      },
      ignoreRequestHook: (request) => {
        const origin = urlOf(request.origin);
        return origin !== undefined && opts.isUntraced(origin);
      },
    }),
  ];
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function hostOfRequest(origin: string | URL | undefined, path: string): string | undefined {
  try {
    return new URL(path, String(origin)).host;
  } catch {
    return undefined;
  }
}

function urlOf(origin: string | URL | undefined): URL | undefined {
  try {
    return new URL(String(origin));
  } catch {
    return undefined;
  }
}
