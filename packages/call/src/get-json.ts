import { HopError, parseErrorBody } from '@meshapps/service';
import { type Dispatcher, request, errors as undiciErrors } from 'undici';

/** Upstream answers larger than this are not ours: refuse them rather than buffer them. */
const MAX_BODY_BYTES = 64 * 1024;

/** One outbound hop: where errors point, what to send, how long to wait, how to connect. */
export interface HopContext {
  /** "caller -> host", used to name the failing hop in errors. */
  name: string;
  headers: Record<string, string>;
  timeoutMs: number;
  dispatcher: Dispatcher;
  /** Aborts the hop early: our own caller went away, so nobody waits for the answer. */
  signal?: AbortSignal;
}

/** A message longer than this is not a chain of service names: refuse to echo it back. */
const MAX_MESSAGE_CHARS = 4096;

export interface HopAnswer {
  message: string;
}

/** Connection-level failures: Envoy answers these with 503 (UF, UC, UR). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * GET a URL and read the `{"message": "…"}` answer every meshapps service gives.
 * Redirects are never followed (a redirect could point outside the allow-list).
 */
export async function getJson(url: string, opts: HopContext): Promise<HopAnswer> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: opts.headers,
      dispatcher: opts.dispatcher,
      signal: opts.signal
        ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal])
        : AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    throw connectionError(err, opts);
  }

  let text: string;
  try {
    text = await readCapped(res.body);
  } catch (err) {
    if (err instanceof HopError) throw new HopError(err.status, err.message, { hop: opts.name });
    throw connectionError(err, opts);
  }

  // Error statuses pass through (Envoy does the same); anything outside HTTP's range is not one.
  if (res.statusCode >= 400 && res.statusCode <= 599) throw upstreamError(res.statusCode, text, opts.name);
  if (res.statusCode !== 200) {
    throw new HopError(502, `upstream answered ${res.statusCode}, expected 200`, { hop: opts.name });
  }
  const parsed = tryParse(text);
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message !== 'string') {
    throw new HopError(502, 'upstream answer is not the expected JSON {"message": string}', {
      hop: opts.name,
    });
  }
  if (message.length > MAX_MESSAGE_CHARS) {
    throw new HopError(502, `upstream message longer than ${MAX_MESSAGE_CHARS} characters`, {
      hop: opts.name,
    });
  }
  return { message };
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new HopError(502, `upstream answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The upstream's status passes through; the innermost failing hop stays named. */
function upstreamError(status: number, text: string, hop: string): HopError {
  const inner = parseErrorBody(tryParse(text));
  if (inner) return new HopError(status, inner.message, { hop: inner.hop ?? hop, chain: inner.chain });
  const detail = summarise(text);
  return new HopError(
    status,
    detail ? `upstream answered ${status}: ${detail}` : `upstream answered ${status}`,
    {
      hop,
    },
  );
}

/** Cloud Run's own error pages are HTML: keep a short readable line of them. */
const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', '#39': "'" };

function summarise(text: string): string {
  return text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(quot|amp|lt|gt|#39);/g, (_, e: string) => ENTITIES[e] ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

function connectionError(err: unknown, opts: HopContext): HopError {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  // A refused CONNECT tunnel is also an abort (name 'AbortError') in undici: check it first.
  if (err instanceof undiciErrors.RequestAbortedError && /Proxy response/.test(e.message ?? '')) {
    return new HopError(503, `the egress proxy refused the tunnel: ${e.message}`, { hop: opts.name });
  }
  // Our own caller left (the signal, not the deadline, fired): nobody waits for a status any more,
  // but the log line must not call it a timeout. 499 and the words match the sidecar's DC line.
  if (opts.signal?.aborted && !(e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT')) {
    return new HopError(499, 'the caller went away before the answer: hop cancelled', { hop: opts.name });
  }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new HopError(504, `upstream did not answer within ${opts.timeoutMs} ms`, { hop: opts.name });
  }
  const code = e.code ?? e.cause?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HopError(503, `upstream host not found (${code}): is the mesh DNS zone in place?`, {
      hop: opts.name,
    });
  }
  if ((code && UNAVAILABLE_CODES.has(code)) || err instanceof undiciErrors.UndiciError) {
    return new HopError(503, `upstream connection failed (${code ?? e.name})`, { hop: opts.name });
  }
  return new HopError(503, `upstream request failed: ${e.message ?? String(err)}`, { hop: opts.name });
}
