import { type IncomingMessage, Server, type ServerResponse } from 'node:http';
import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { TRACE_ID_HEADER } from './headers.ts';
import { requestTarget } from './request-target.ts';

/** The instrumentation scope on every server span (decision 055). */
export const HTTP_SERVER_SCOPE = '@meshapps/telemetry/http-server';

/** Cloud Run and the local mesh probe this constantly: spans for it would bury the real ones. */
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz']);

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

const SERVER_SPAN = Symbol('meshapps.serverSpan');
type TracedRequest = IncomingMessage & { [SERVER_SPAN]?: Span };

/** The SERVER span of an incoming request, if it is traced. */
export function serverSpanOf(request: IncomingMessage): Span | undefined {
  return (request as TracedRequest)[SERVER_SPAN];
}

/**
 * One SERVER span per incoming HTTP request, with the stable HTTP semantic conventions'
 * attributes, the caller's context as parent, and that span active while the request's
 * handlers run. Replaces `@opentelemetry/instrumentation-http` (decision 055): that one wraps
 * every listener of the request and the response to carry the context, computes metric
 * attributes without a meter, and was the largest share of what tracing cost per request.
 * Here the context rides on the synchronous `request` event, and on the request's own events
 * only when it has a body to read. Returns the function that takes it out again.
 */
export function traceHttpServers(tracer: Tracer): () => void {
  type Emit = (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  const originalEmit = Server.prototype.emit as Emit;
  function emit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'request') return originalEmit.apply(this, [event, ...args]);
    const request = args[0] as TracedRequest;
    const response = args[1] as ServerResponse;
    const path = pathOf(request.url);
    if (UNTRACED_PATHS.has(path)) return originalEmit.apply(this, [event, ...args]);

    const method = request.method ?? 'GET';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      KNOWN_METHODS.has(method) ? method : 'HTTP',
      { kind: SpanKind.SERVER, attributes: requestAttributes(request, method, path) },
      parent,
    );
    request[SERVER_SPAN] = span;
    response.setHeader(TRACE_ID_HEADER, span.spanContext().traceId);
    // 'close' comes after 'finish', and also when the connection goes before the answer did.
    response.once('close', () => endServerSpan(span, response));

    const active = trace.setSpan(parent, span);
    if (hasBody(request)) context.bind(active, request); // body listeners run outside the event
    return context.with(active, originalEmit, this, event, ...args);
  }
  const hadOwn = Object.hasOwn(Server.prototype, 'emit');
  Server.prototype.emit = emit as typeof Server.prototype.emit;
  return () => {
    if ((Server.prototype.emit as Emit) !== emit) return; // wrapped again since: leave it
    if (hadOwn) Server.prototype.emit = originalEmit as typeof Server.prototype.emit;
    else delete (Server.prototype as { emit?: unknown }).emit;
  };
}

function requestAttributes(request: IncomingMessage, method: string, path: string): Attributes {
  const { host, port } = splitHost(request.headers.host);
  const socket = request.socket;
  const attributes: Attributes = {
    'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER',
    'url.scheme': (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    'url.path': path,
    'network.protocol.version': request.httpVersion,
    'network.peer.address': socket.remoteAddress,
    'network.peer.port': socket.remotePort,
    'client.address': clientAddress(request) ?? socket.remoteAddress,
    'user_agent.original': request.headers['user-agent'],
  };
  if (host) attributes['server.address'] = host;
  if (port !== undefined) attributes['server.port'] = port;
  if (!KNOWN_METHODS.has(method)) attributes['http.request.method_original'] = method;
  // url.query is left out on purpose: a query string can carry a credential.
  return attributes;
}

function endServerSpan(span: Span, response: ServerResponse): void {
  if (response.headersSent) span.setAttribute('http.response.status_code', response.statusCode);
  if (!response.writableFinished) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: 'connection closed before the answer was complete',
    });
  } else if (response.statusCode >= 500) {
    span.setAttribute('error.type', String(response.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** The path alone: never the query, nor an absolute URL's credentials (request-target.ts). */
function pathOf(url: string | undefined): string {
  return requestTarget(url)?.path ?? (url === '*' ? '*' : '/');
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The first `X-Forwarded-For` hop: the original caller when a front or proxy passed it on. */
function clientAddress(request: IncomingMessage): string | undefined {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || undefined;
}

/** `host[:port]`, IPv6 literals in brackets included. */
function splitHost(raw: string | undefined): { host?: string; port?: number } {
  if (!raw) return {};
  const close = raw.lastIndexOf(']');
  const colon = raw.lastIndexOf(':');
  if (colon === -1 || colon < close) return { host: raw };
  const port = Number(raw.slice(colon + 1));
  return Number.isInteger(port) ? { host: raw.slice(0, colon), port } : { host: raw.slice(0, colon) };
}
