// The SERVER span of each incoming request (decision 055), in one process: a real HTTP server,
// the real trace SDK with an in-memory exporter, W3C propagation.
import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { context, propagation, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nameServerSpansByRoute } from '../src/fastify-routes.ts';
import { HTTP_SERVER_SCOPE, serverSpanOf, traceHttpServers } from '../src/http-server-spans.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
let untrace: () => void;
const servers: Server[] = [];

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  untrace = traceHttpServers(provider.getTracer(HTTP_SERVER_SCOPE));
});
afterAll(() => {
  untrace();
  context.disable();
  propagation.disable();
});
afterEach(async () => {
  exporter.reset();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(listener: RequestListener): Promise<number> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function send(
  port: number,
  opts: { path?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: opts.path ?? '/',
          method: opts.method ?? 'GET',
          headers: opts.headers,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    },
  );
}

/** One request line written as is (Node's client only writes origin-form), its answer read to the end. */
async function rawRequest(port: number, line: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.end(`${line}\r\nHost: example.test\r\nConnection: close\r\n\r\n`);
  let answer = '';
  for await (const chunk of socket) answer += String(chunk);
  return answer;
}

/** Spans end on the response's 'close', just after the client has its answer. */
async function finishedSpans(count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 200 && exporter.getFinishedSpans().length < count; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return exporter.getFinishedSpans();
}

describe('one SERVER span per incoming request', () => {
  it('continues the caller’s trace, is active in the handler, and names the trace in x-trace-id', async () => {
    let active: Span | undefined;
    let own: Span | undefined;
    const port = await serve((req, res) => {
      active = trace.getActiveSpan();
      own = serverSpanOf(req);
      res.end('ok');
    });
    const res = await send(port, {
      path: '/call/x?token=secret',
      headers: {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        'user-agent': 'probe/1',
        host: `example.test:${port}`,
      },
    });
    const [span] = await finishedSpans(1);
    expect(res.headers['x-trace-id']).toBe(TRACE);
    expect(active).toBe(own);
    expect(span?.spanContext().spanId).toBe(own?.spanContext().spanId);
    expect(span?.instrumentationScope.name).toBe(HTTP_SERVER_SCOPE);
    expect(span?.kind).toBe(1); // SERVER
    expect(span?.name).toBe('GET');
    expect(span?.spanContext().traceId).toBe(TRACE);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/call/x',
      'server.address': 'example.test',
      'server.port': port,
      'network.protocol.version': '1.1',
      'network.peer.address': '127.0.0.1',
      'client.address': '127.0.0.1',
      'user_agent.original': 'probe/1',
      'http.response.status_code': 200,
    });
    // A query string can carry a credential: never recorded.
    expect(JSON.stringify(span?.attributes)).not.toContain('secret');
    expect(span?.status.code).toBe(0);
  });

  it('keeps only the path of an absolute-form request line: no credentials, no query', async () => {
    const port = await serve((_req, res) => res.end());
    await rawRequest(port, 'GET http://user:s3cret@example.test/inner/path?token=t0ken HTTP/1.1');
    await rawRequest(port, 'GET http://example.test/healthz HTTP/1.1');
    const spans = await finishedSpans(1);
    expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/inner/path']);
    expect(JSON.stringify(spans[0]?.attributes)).not.toMatch(/s3cret|t0ken/);
  });

  it('starts a trace of its own without a caller, and takes client.address from X-Forwarded-For', async () => {
    const port = await serve((_req, res) => res.end());
    const res = await send(port, { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } });
    const [span] = await finishedSpans(1);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(res.headers['x-trace-id']).toBe(span?.spanContext().traceId);
    expect(span?.attributes['client.address']).toBe('203.0.113.7');
  });

  it('marks a 5xx answer as an error, and a 4xx not', async () => {
    const port = await serve((req, res) => {
      res.statusCode = req.url === '/fail' ? 503 : 404;
      res.end();
    });
    await send(port, { path: '/fail' });
    await send(port, { path: '/missing' });
    const spans = await finishedSpans(2);
    const byPath = (p: string) => spans.find((s) => s.attributes['url.path'] === p);
    expect(byPath('/fail')?.status.code).toBe(2); // ERROR
    expect(byPath('/fail')?.attributes['error.type']).toBe('503');
    expect(byPath('/missing')?.status.code).toBe(0);
    expect(byPath('/missing')?.attributes['http.response.status_code']).toBe(404);
  });

  it('leaves /healthz untraced: no span, no header', async () => {
    let healthz = false;
    const port = await serve((req, res) => {
      if (req.url === '/healthz')
        healthz = serverSpanOf(req) === undefined && trace.getActiveSpan() === undefined;
      res.end();
    });
    const res = await send(port, { path: '/healthz' });
    await send(port, { path: '/after' }); // a positive marker: spans are being recorded
    const spans = await finishedSpans(1);
    expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/after']);
    expect(healthz).toBe(true);
    expect(res.headers['x-trace-id']).toBeUndefined();
  });

  it('keeps the span active in the listeners that read a request body', async () => {
    let inEnd: Span | undefined;
    let own: Span | undefined;
    const port = await serve((req, res) => {
      own = serverSpanOf(req);
      req.resume();
      req.on('end', () => {
        inEnd = trace.getActiveSpan();
        res.end();
      });
    });
    await send(port, { method: 'POST', body: 'x'.repeat(100_000) });
    await finishedSpans(1);
    expect(own).toBeDefined();
    expect(inEnd).toBe(own);
  });

  it('ends the span as an error when the connection closes before the answer', async () => {
    const port = await serve((req) => {
      req.socket.destroy();
    });
    await send(port).catch(() => undefined);
    const [span] = await finishedSpans(1);
    expect(span?.status).toMatchObject({
      code: 2,
      message: 'connection closed before the answer was complete',
    });
    expect(span?.attributes['http.response.status_code']).toBeUndefined();
  });

  it('names the span by the Fastify route that matched', async () => {
    const stop = nameServerSpansByRoute();
    const app = Fastify();
    app.get('/items/:id', async () => ({ ok: true }));
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      await send((app.server.address() as AddressInfo).port, { path: '/items/42' });
      const [span] = await finishedSpans(1);
      expect(span?.name).toBe('GET /items/:id');
      expect(span?.attributes['http.route']).toBe('/items/:id');
    } finally {
      stop();
      await app.close();
    }
  });

  it('takes itself out again', async () => {
    const port = await serve((_req, res) => res.end());
    untrace();
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send(port, { path: '/untraced' });
    } finally {
      untrace = traceHttpServers(provider.getTracer(HTTP_SERVER_SCOPE));
    }
    // A new server sees the patch again; its span is the positive marker that spans are recorded.
    const again = await serve((_req, res2) => res2.end());
    await send(again, { path: '/marker' });
    const spans = await finishedSpans(1);
    expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/marker']);
    expect(res.headers['x-trace-id']).toBeUndefined();
  });
});
