import type { Instrumentation } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

export interface InstrumentationOptions {
  /** Calls that are plumbing (metadata server, token endpoints) get no spans. */
  isUntraced: (origin: URL) => boolean;
}

/**
 * The outgoing side: undici, a CLIENT span for every hop with `traceparent` injected. The
 * incoming side (one SERVER span per request) is http-server-spans.ts. Outgoing node:http is
 * left alone: nothing in the chain uses it, and the span exporter does.
 */
export function createInstrumentations(opts: InstrumentationOptions): Instrumentation[] {
  return [
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
