import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, type ZlibOptions } from 'node:zlib';
import { readRequestTarget } from '@meshapps/request-target';
import { adjustClockSkew } from './clock-skew.ts';
import { ServiceGraph } from './graph.ts';
import { graphTraces } from './graph-traces.ts';
import { spansFromOtlpJson } from './otlp-json.ts';
import { spansFromOtlpProtobuf } from './otlp-protobuf.ts';
import { isTraceId, type SpanRecord } from './span-record.ts';
import { TraceStore, type TraceStoreOptions } from './trace-store.ts';

export const DEFAULT_VIEWER_PORT = 16686;

/**
 * What one OTLP request may bring: bytes on the wire, bytes after gunzip (a small gzip can
 * inflate to gigabytes), and spans (the SDK exports 512 per batch by default). More is a 413.
 */
export const OTLP_LIMITS = {
  bodyBytes: 16 * 1024 * 1024,
  decompressedBytes: 16 * 1024 * 1024,
  spansPerRequest: 10_000,
  /** After a 413, this much more of the body is read and dropped so the answer is not reset. */
  discardBytes: 64 * 1024 * 1024,
} as const;

const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);

export interface TraceViewerOptions extends TraceStoreOptions {
  /** Default 127.0.0.1: the viewer has no authentication, so it stays on this machine. */
  host?: string;
  /** Default 16686 (Jaeger's UI port, familiar to many); 0 picks a free port. */
  port?: number;
}

export interface TraceViewer {
  /** The page, e.g. `http://127.0.0.1:16686`. */
  url: string;
  /** What apps get as `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`). */
  otlpEndpoint: string;
  store: TraceStore;
  close(): Promise<void>;
}

// src/ and dist/ are both one level below the package root, where public/ lives.
const PUBLIC_DIR = new URL('../public/', import.meta.url);
const JS = 'text/javascript; charset=utf-8';

/**
 * The page's files, served as they are: no build step, nothing fetched from elsewhere. The graph's
 * layout library is a dependency of this package, served from node_modules (works offline).
 */
const STATIC: Record<string, { file: URL; type: string }> = {
  '/': { file: new URL('index.html', PUBLIC_DIR), type: 'text/html; charset=utf-8' },
  '/index.html': { file: new URL('index.html', PUBLIC_DIR), type: 'text/html; charset=utf-8' },
  '/viewer.css': { file: new URL('viewer.css', PUBLIC_DIR), type: 'text/css; charset=utf-8' },
  ...Object.fromEntries(
    ['viewer.js', 'graph.js', 'graph-layout.js', 'graph-traces.js', 'graph-worker.js'].map((f) => [
      `/${f}`,
      { file: new URL(f, PUBLIC_DIR), type: JS },
    ]),
  ),
  '/vendor/dagre.js': { file: new URL(import.meta.resolve('@dagrejs/dagre')), type: JS },
};

/**
 * A local OTLP/HTTP trace collector (JSON and protobuf) with a small API and a waterfall page:
 * `POST /v1/traces`, `GET /api/traces`, `GET /api/traces/{traceId}`, `GET /api/graph`,
 * `GET /api/graph/traces`, `GET /`.
 */
export async function startTraceViewer(opts: TraceViewerOptions = {}): Promise<TraceViewer> {
  const graph = new ServiceGraph();
  const store = new TraceStore({ ...opts, onAdd: (spans) => graph.add(spans) });
  const server = createServer((req, res) => {
    handle(req, res, store, graph).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  // Exporters keep connections open; don't let them hold close() up.
  server.keepAliveTimeout = 5000;
  // A request line or header Node's parser refuses still gets a status and a JSON reason.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const body = JSON.stringify({ error: `trace viewer: malformed request (${err.code ?? err.message})` });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  server.on('connect', (_req, socket) => {
    socket.on('error', () => socket.destroy());
    const body = JSON.stringify({ error: 'trace viewer: CONNECT is not served here' });
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_VIEWER_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: origin,
    otlpEndpoint: origin,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  store: TraceStore,
  graph: ServiceGraph,
): Promise<void> {
  // Origin-form only: this is no proxy, so an absolute-form target is refused like a malformed one.
  const target = readRequestTarget(req.url);
  if (!target || target.absolute)
    return sendJson(res, 400, { error: 'the request target is not a path (/path?query)' });
  const path = target.path;

  if (path === '/v1/traces') {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST OTLP traces here' });
    return receiveOtlp(req, res, store);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'read-only' });

  if (path === '/api/graph') return sendJson(res, 200, graph.snapshot());
  if (path === '/api/graph/traces') {
    const { status, body } = graphTraces(new URLSearchParams(target.query), graph, store);
    return sendJson(res, status, body);
  }
  if (path === '/api/traces') {
    const limit = Number(new URLSearchParams(target.query).get('limit') ?? 50);
    return sendJson(res, 200, { traces: store.list(Number.isInteger(limit) && limit > 0 ? limit : 50) });
  }
  if (path.startsWith('/api/traces/')) {
    const traceId = decodeOrEmpty(path.slice('/api/traces/'.length)).toLowerCase();
    if (!isTraceId(traceId))
      return sendJson(res, 400, { error: 'a trace id is 32 hex digits, not all zero' });
    const spans = store.get(traceId);
    if (!spans) return sendJson(res, 404, { error: `trace ${traceId} is not here (yet, or any more)` });
    return sendJson(res, 200, { traceId, spans: adjustClockSkew(spans) });
  }
  const asset = STATIC[path];
  if (asset) {
    const body = await readFile(asset.file);
    res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  return sendJson(res, 404, { error: `no such page: ${path}` });
}

async function receiveOtlp(req: IncomingMessage, res: ServerResponse, store: TraceStore): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    req.resume();
    return sendJson(res, 415, { error: `content-encoding ${encoding} is not supported: send gzip or none` });
  }
  const read = await readBody(req, OTLP_LIMITS.bodyBytes);
  if (read === 'too large') {
    return sendJson(res, 413, { error: `OTLP body larger than ${OTLP_LIMITS.bodyBytes} bytes` });
  }
  let body = read;
  if (encoding === 'gzip') {
    try {
      // Stops inflating at the limit: memory stays bounded whatever the ratio.
      body = await gunzipAsync(body, { maxOutputLength: OTLP_LIMITS.decompressedBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return sendJson(res, 413, {
          error: `OTLP body larger than ${OTLP_LIMITS.decompressedBytes} bytes once decompressed`,
        });
      }
      return sendJson(res, 400, { error: `malformed gzip body: ${(err as Error).message}` });
    }
  }
  const json = type === 'application/json';
  if (!json && type !== 'application/x-protobuf' && type !== 'application/protobuf') {
    return sendJson(res, 415, { error: 'send application/json or application/x-protobuf (OTLP/HTTP)' });
  }
  let spans: SpanRecord[];
  try {
    const max = OTLP_LIMITS.spansPerRequest;
    spans = json
      ? spansFromOtlpJson(JSON.parse(body.toString('utf8')), max)
      : spansFromOtlpProtobuf(body, max);
  } catch (err) {
    return sendJson(res, 400, { error: `malformed OTLP body: ${err instanceof Error ? err.message : err}` });
  }
  if (spans.length > OTLP_LIMITS.spansPerRequest) {
    return sendJson(res, 413, {
      error: `more than ${OTLP_LIMITS.spansPerRequest} spans in one export: send smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)`,
    });
  }
  store.add(spans);
  if (json) return sendJson(res, 200, { partialSuccess: {} });
  // An empty ExportTraceServiceResponse is zero bytes.
  res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
  res.end();
}

/**
 * The body, or 'too large' once it passes `max` bytes. The rest of a too-large body is still read
 * (and dropped, up to OTLP_LIMITS.discardBytes) so the client gets the 413, not a reset.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) {
      discard(req);
      return resolve('too large');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      chunks.length = 0;
      req.off('data', onData);
      discard(req, size);
      resolve('too large');
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function discard(req: IncomingMessage, already = 0): void {
  let dropped = already;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > OTLP_LIMITS.discardBytes) req.destroy();
  });
}

/** Percent-decoded, or '' when the encoding is malformed (`%E0%A4%A`): the caller answers 400. */
function decodeOrEmpty(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(text);
}
