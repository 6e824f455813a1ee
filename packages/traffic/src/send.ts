import { TRACE_ID_HEADER } from '@meshapps/telemetry';
import { type Dispatcher, request } from 'undici';

/** One answer as the tools read it: status, JSON body (if any), the trace id header, time taken. */
export interface RawAnswer {
  /** HTTP status; 0 when no answer came (refused, reset, timed out). */
  status: number;
  body: unknown;
  /** The `x-trace-id` response header each service sets (packages/telemetry), if present. */
  traceId: string | undefined;
  ms: number;
  /** Why no answer came, e.g. ECONNREFUSED, TimeoutError. */
  error?: string;
}

export interface SendOptions {
  dispatcher: Dispatcher;
  /** Requests in flight at once. */
  concurrency: number;
  headers?: Record<string, string>;
  /** Per request. */
  timeoutMs?: number;
  /** Stops sending (requests in flight end as aborted answers). */
  signal?: AbortSignal;
  /** Called after each answer (progress). */
  onAnswer?: (done: number) => void;
}

/**
 * Sends `n` GET requests to `url`, `concurrency` at a time, and returns every answer (in the order
 * they came). Nothing is retried: a failure is an answer the caller judges. With `signal` aborted,
 * no further request starts.
 */
export async function sendRequests(url: URL, n: number, opts: SendOptions): Promise<RawAnswer[]> {
  const answers: RawAnswer[] = [];
  let left = n;
  const worker = async () => {
    while (left > 0 && !opts.signal?.aborted) {
      left--;
      answers.push(await sendOne(url, opts));
      opts.onAnswer?.(answers.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, n) }, worker));
  return answers;
}

async function sendOne(url: URL, opts: SendOptions): Promise<RawAnswer> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await request(url, {
      dispatcher: opts.dispatcher,
      signal,
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    const body = await res.body.json().catch(() => undefined);
    const trace = res.headers[TRACE_ID_HEADER];
    return {
      status: res.statusCode,
      body,
      traceId: Array.isArray(trace) ? trace[0] : trace,
      ms: performance.now() - started,
    };
  } catch (err) {
    const e = err as { code?: string; name?: string };
    return {
      status: 0,
      body: undefined,
      traceId: undefined,
      ms: performance.now() - started,
      error: e.code ?? e.name ?? String(err),
    };
  }
}
