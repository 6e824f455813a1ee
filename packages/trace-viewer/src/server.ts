import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { adjustClockSkew } from './clock-skew.ts';
import { ServiceGraph } from './graph.ts';
import { spansFromOtlpJson } from './otlp-json.ts';
import { spansFromOtlpProtobuf } from './otlp-protobuf.ts';
import { isTraceId } from './span-record.ts';
import { TraceStore, type TraceStoreOptions } from './trace-store.ts';

export const DEFAULT_VIEWER_PORT = 16686;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

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

/** The page's files, served as they are: no build step, nothing fetched from elsewhere. */
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/viewer.js': { file: 'viewer.js', type: 'text/javascript; charset=utf-8' },
  '/graph.js': { file: 'graph.js', type: 'text/javascript; charset=utf-8' },
  '/viewer.css': { file: 'viewer.css', type: 'text/css; charset=utf-8' },
};
// src/ and dist/ are both one level below the package root, where public/ lives.
const PUBLIC_DIR = new URL('../public/', import.meta.url);

/**
 * A local OTLP/HTTP trace collector (JSON and protobuf) with a small API and a waterfall page:
 * `POST /v1/traces`, `GET /api/traces`, `GET /api/traces/{traceId}`, `GET /api/graph`, `GET /`.
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
  const url = new URL(req.url ?? '/', 'http://viewer');
  const path = url.pathname;

  if (path === '/v1/traces') {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST OTLP traces here' });
    return receiveOtlp(req, res, store);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'read-only' });

  if (path === '/api/graph') return sendJson(res, 200, graph.snapshot());
  if (path === '/api/traces') {
    const limit = Number(url.searchParams.get('limit') ?? 50);
    return sendJson(res, 200, { traces: store.list(Number.isInteger(limit) && limit > 0 ? limit : 50) });
  }
  if (path.startsWith('/api/traces/')) {
    const traceId = decodeURIComponent(path.slice('/api/traces/'.length)).toLowerCase();
    if (!isTraceId(traceId))
      return sendJson(res, 400, { error: 'a trace id is 32 hex digits, not all zero' });
    const spans = store.get(traceId);
    if (!spans) return sendJson(res, 404, { error: `trace ${traceId} is not here (yet, or any more)` });
    return sendJson(res, 200, { traceId, spans: adjustClockSkew(spans) });
  }
  const asset = STATIC[path];
  if (asset) {
    const body = await readFile(new URL(asset.file, PUBLIC_DIR));
    res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  return sendJson(res, 404, { error: `no such page: ${path}` });
}

async function receiveOtlp(req: IncomingMessage, res: ServerResponse, store: TraceStore): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  let body: Buffer;
  try {
    body = await readBody(req);
    if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip')
      body = await promisify(gunzip)(body);
  } catch (err) {
    return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
  try {
    if (type === 'application/json') {
      store.add(spansFromOtlpJson(JSON.parse(body.toString('utf8'))));
      return sendJson(res, 200, { partialSuccess: {} });
    }
    if (type === 'application/x-protobuf' || type === 'application/protobuf') {
      store.add(spansFromOtlpProtobuf(body));
      // An empty ExportTraceServiceResponse is zero bytes.
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      res.end();
      return;
    }
  } catch (err) {
    return sendJson(res, 400, { error: `malformed OTLP body: ${err instanceof Error ? err.message : err}` });
  }
  return sendJson(res, 415, { error: 'send application/json or application/x-protobuf (OTLP/HTTP)' });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(text);
}
