import type { Readable } from 'node:stream';
import { TRACE_ID_HEADER } from '@meshapps/telemetry';
import { type Dispatcher, request } from 'undici';

/** One answer as the tools read it: status, JSON body (if any), the trace id header, time taken. */
export interface RawAnswer {
  /** HTTP status; 0 when no usable answer came (refused, reset, timed out, body over MAX_ANSWER_BYTES). */
  status: number;
  body: unknown;
  /** The `x-trace-id` response header each service sets (packages/telemetry), if present. */
  traceId: string | undefined;
  ms: number;
  /** Why no answer came, e.g. ECONNREFUSED, TimeoutError, AnswerTooLarge. */
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
 * The most of an answer's body read: the services answer a few hundred bytes of JSON, and a tool
 * sending 100,000 requests must not hold whatever a wrong --url sends back.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Sends `n` GET requests to `url`, `concurrency` at a time, and hands each answer to `each` as it
 * comes, keeping none: a caller that counts holds counts, not n answers. Nothing is retried: a
 * failure is an answer the caller judges. With `signal` aborted, no further request starts.
 */
export async function forEachAnswer(
  url: URL,
  n: number,
  opts: SendOptions,
  each: (answer: RawAnswer) => void,
): Promise<void> {
  let left = n;
  let done = 0;
  const worker = async () => {
    while (left > 0 && !opts.signal?.aborted) {
      left--;
      each(await sendOne(url, opts));
      opts.onAnswer?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, n) }, worker));
}

/** `forEachAnswer`, returning every answer in the order they came. */
export async function sendRequests(url: URL, n: number, opts: SendOptions): Promise<RawAnswer[]> {
  const answers: RawAnswer[] = [];
  await forEachAnswer(url, n, opts, (a) => answers.push(a));
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
    const body = await readJson(res.body);
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
      error: err instanceof AnswerTooLarge ? err.message : (e.code ?? e.name ?? String(err)),
    };
  }
}

class AnswerTooLarge extends Error {
  constructor() {
    super(`AnswerTooLarge (body over ${MAX_ANSWER_BYTES / 1024} KiB)`);
  }
}

/** The body as JSON, undefined if it is not JSON; AnswerTooLarge past MAX_ANSWER_BYTES (unread). */
async function readJson(body: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop by throwing destroys the body: the rest is never read.
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) throw new AnswerTooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    // TextDecoder drops a BOM, as undici's body.json() did.
    return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
  } catch {
    return undefined;
  }
}
