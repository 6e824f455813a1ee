import { connect } from 'node:net';
import { request } from '@meshapps/test-fixtures';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createService, HopError } from '../src/index.ts';
import { logSink, startService } from './support.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(routes: (app: FastifyInstance) => Promise<void> | void) {
  const started = await startService('target2', routes);
  app = started.app;
  return started;
}

async function get(url: string) {
  const res = await request(url);
  const text = await res.body.text();
  return { status: res.statusCode, type: String(res.headers['content-type']), text, body: JSON.parse(text) };
}

describe('createService', () => {
  it('puts requestLogFields on every line of a request, taken once as it arrives', async () => {
    const sink = logSink();
    let taken = 0;
    const logger = createLogger({ service: 'target', destination: sink.destination });
    app = await createService({
      logger,
      requestLogFields: () => ({ 'logging.googleapis.com/spanId': `span-${++taken}` }),
      routes: (a) => {
        a.get('/', async (req) => {
          req.log.info('inside the handler');
          return { ok: true };
        });
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect((await get(`${url}/`)).status).toBe(200);
    expect((await get(`${url}/`)).status).toBe(200);
    app.log.info('not a request');

    const lines = sink.entries();
    const ofRequest = (n: number) => lines.filter((l) => l['logging.googleapis.com/spanId'] === `span-${n}`);
    expect(ofRequest(1).map((l) => l.message)).toEqual([
      'incoming request',
      'inside the handler',
      'request completed',
    ]);
    expect(ofRequest(2)).toHaveLength(3);
    expect(taken).toBe(2);
    expect(lines.find((l) => l.message === 'not a request')).not.toHaveProperty(
      'logging.googleapis.com/spanId',
    );
  });

  it('logs the request line without what a URL can carry: query values, credentials', async () => {
    const { url, sink } = await start((a) => {
      a.get('/x', async () => ({ ok: true }));
    });
    await get(`${url}/x?access_token=SECRET123&n=5`);
    const port = Number(new URL(url).port);
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.end('GET http://user:PASSWORD@h/x?k=KEY HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'),
      );
      socket.resume();
      socket.on('close', () => resolve());
    });
    const incoming = sink.entries().filter((l) => l.message === 'incoming request');
    expect(incoming.map((l) => (l.req as { url: string }).url)).toEqual([
      '/x?access_token=[redacted]&n=[redacted]',
      '/x?k=[redacted]',
    ]);
    expect(incoming[0]?.req).toMatchObject({ method: 'GET', remoteAddress: '127.0.0.1' });
    expect(sink.lines.join('')).not.toMatch(/SECRET123|PASSWORD|KEY/);
  });

  it('answers /healthz', async () => {
    const { url } = await start(() => {});
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers unknown routes with the JSON error shape', async () => {
    const { url } = await start(() => {});
    const res = await get(`${url}/nope/deeper?token=abc`);
    expect(res.status).toBe(404);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { status: 404, message: 'no route for GET /nope/deeper', chain: [] } });
  });

  it('answers a HopError with its own status and body', async () => {
    const { url } = await start((a) => {
      a.get('/hop', async () => {
        throw new HopError(403, 'upstream answered 403', { hop: 'a -> b', chain: ['a'] });
      });
    });
    expect(await get(`${url}/hop`)).toMatchObject({
      status: 403,
      body: { error: { status: 403, message: 'upstream answered 403', hop: 'a -> b', chain: ['a'] } },
    });
  });

  it('hides the message and stack of unexpected errors', async () => {
    const { url, sink } = await start((a) => {
      a.get('/boom', async () => {
        throw new Error('database password is hunter2');
      });
    });
    const res = await get(`${url}/boom`);
    expect(res).toMatchObject({
      status: 500,
      body: { error: { status: 500, message: 'internal error', chain: [] } },
    });
    expect(res.text).not.toMatch(/hunter2|stack|\.ts:\d+/);
    // ... but the log has it, for the operator.
    expect(sink.lines.some((l) => l.includes('hunter2') && l.includes('"severity":"ERROR"'))).toBe(true);
  });

  it("keeps Fastify's own 4xx status and message", async () => {
    const { url } = await start((a) => {
      a.get('/teapot', async () => {
        throw Object.assign(new Error('short and stout'), { statusCode: 418 });
      });
    });
    expect(await get(`${url}/teapot`)).toMatchObject({
      status: 418,
      body: { error: { status: 418, message: 'short and stout', chain: [] } },
    });
  });

  it('answers a URL with bad percent-encoding with the JSON error shape too', async () => {
    // A wildcard route as the /call chain registers: the router refuses to decode `%zz` in it.
    const { url } = await start((a) => {
      a.get('/call/*', async () => ({ message: 'unreachable' }));
    });
    const res = await get(`${url}/call/target1%zz.meshapps.internal`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { status: 400, chain: [] } });
    expect(typeof res.body.error.message).toBe('string');
  });
});
