import { ServerResponse } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { TRACE_ID_HEADER } from './headers.ts';

/** Cloud Run and the local mesh probe this constantly: spans for it would bury the real ones. */
const UNTRACED_PATHS = new Set(['/healthz']);

export interface InstrumentationOptions {
  /** Calls that are plumbing (metadata server, token endpoints) get no spans. */
  isUntraced: (origin: URL) => boolean;
}

/**
 * Only what this stack uses, one span per thing that happens: the HTTP server (the SERVER span
 * of each request, from the incoming context, named by its Fastify route — see
 * fastify-routes.ts) and undici (a CLIENT span for every hop, with `traceparent` injected).
 * Outgoing node:http is left alone: nothing in the chain uses it, and the span exporter does.
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
