import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HopError } from '@meshapps/service';
import {
  Agent,
  CLOUD_RUN_403_HTML,
  Cleanup,
  closedPort,
  json,
  mappedAgent,
  resetMidBody,
  startHttpStub,
  startTcpStub,
} from '@meshapps/test-fixtures';
import { ProxyAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson } from '../src/index.ts';

const HOP = 'client -> target1.meshapps.internal';
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function agent(): Agent {
  const a = new Agent();
  cleanup.add(() => a.destroy());
  return a;
}

async function stub(handler: Parameters<typeof startHttpStub>[0]) {
  const s = await startHttpStub(handler);
  cleanup.add(() => s.close());
  return s;
}

/** The HopError getJson rejects with (fails the test if it resolves). */
async function failure(url: string, timeoutMs = 2000, dispatcher = agent()): Promise<HopError> {
  const err = await getJson(url, { headers: {}, timeoutMs, dispatcher, name: HOP }).then(
    (answer) => new Error(`resolved with ${JSON.stringify(answer)}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HopError);
  return err as HopError;
}

describe('getJson', () => {
  it('says the caller went away (499), not a timeout, when its own caller cancels the hop', async () => {
    let seen!: () => void;
    const arrived = new Promise<void>((resolve) => (seen = resolve));
    const s = await stub(() => seen()); // never answers
    const caller = new AbortController();
    const pending = getJson(`http://127.0.0.1:${s.port}/`, {
      headers: {},
      timeoutMs: 5000,
      dispatcher: agent(),
      name: HOP,
      signal: caller.signal,
    }).catch((e: unknown) => e);
    await arrived;
    caller.abort();
    const err = (await pending) as HopError;
    expect(err).toBeInstanceOf(HopError);
    expect(err).toMatchObject({
      status: 499,
      hop: HOP,
      message: 'the caller went away before the answer: hop cancelled',
    });
  });

  it('reads {"message"} and sends the given headers', async () => {
    const s = await stub(json(200, { message: 'target1' }));
    const answer = await getJson(`http://127.0.0.1:${s.port}/x?y=1`, {
      headers: { traceparent: 'tp' },
      timeoutMs: 2000,
      dispatcher: agent(),
      name: HOP,
    });
    expect(answer).toEqual({ message: 'target1' });
    expect(s.seen[0]?.url).toBe('/x?y=1');
    expect(s.seen[0]?.headers.traceparent).toBe('tp');
  });

  it("passes Cloud Run's 403 page through as 403, summarised, naming the hop", async () => {
    const s = await stub((_req, res) =>
      res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML),
    );
    const err = await failure(`http://127.0.0.1:${s.port}/`);
    expect(err.status).toBe(403);
    expect(err.hop).toBe(HOP);
    expect(err.message).toContain(
      'Error: Forbidden Your client does not have permission to get URL / from this server.',
    );
    expect(err.message).not.toMatch(/<|>/);
  });

  it('keeps the inner hop and chain of an upstream meshapps error', async () => {
    const inner = new HopError(403, 'upstream answered 403', { hop: 'proxy -> target1.meshapps.internal' });
    const s = await stub(json(403, inner.seenBy('proxy').toBody()));
    const err = await failure(`http://127.0.0.1:${s.port}/`);
    expect(err).toMatchObject({ status: 403, hop: 'proxy -> target1.meshapps.internal', chain: ['proxy'] });
  });

  it('does not follow redirects (502)', async () => {
    const elsewhere = await stub(json(200, { message: 'elsewhere' }));
    const s = await stub((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/` }).end(),
    );
    const err = await failure(`http://127.0.0.1:${s.port}/`);
    expect(err.status).toBe(502);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it.each([
    ['non-JSON', 'text/plain', 'hello from nginx'],
    ['JSON without message', 'application/json', '{"msg":"target1"}'],
    ['a non-string message', 'application/json', '{"message":42}'],
    ['a JSON array', 'application/json', '["target1"]'],
  ])('answers 502 for a 200 with %s', async (_what, type, body) => {
    const s = await stub((_req, res) => res.writeHead(200, { 'content-type': type }).end(body));
    const err = await failure(`http://127.0.0.1:${s.port}/`);
    expect(err.status).toBe(502);
    expect(err.hop).toBe(HOP);
  });

  it('refuses an answer larger than 64 KiB (502)', async () => {
    const s = await stub((_req, res) => res.end(JSON.stringify({ message: 'x'.repeat(100_000) })));
    const err = await failure(`http://127.0.0.1:${s.port}/`);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/larger than 65536 bytes/);
    expect(err.hop).toBe(HOP);
  });

  it('answers 503 when the connection is refused', async () => {
    const err = await failure(`http://127.0.0.1:${await closedPort()}/`);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.hop).toBe(HOP);
  });

  it('answers 503 when the connection is reset mid-body', async () => {
    const tcp = await startTcpStub(resetMidBody);
    cleanup.add(() => tcp.close());
    const err = await failure(`http://127.0.0.1:${tcp.port}/`);
    expect(err.status).toBe(503);
    expect(err.hop).toBe(HOP);
  });

  it('answers 503 naming DNS when the host does not resolve', async () => {
    const { agent: mapped } = mappedAgent({});
    cleanup.add(() => mapped.destroy());
    const err = await failure('http://target9.meshapps.internal/', 2000, mapped);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/host not found \(ENOTFOUND\)/);
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    const hung = await startTcpStub();
    cleanup.add(() => hung.close());
    const started = performance.now();
    const err = await failure(`http://127.0.0.1:${hung.port}/`, 300);
    const took = performance.now() - started;
    expect(err.status).toBe(504);
    expect(err.message).toBe('upstream did not answer within 300 ms');
    // Not before the budget: a timer never fires early (give or take the event loop's cached
    // clock), however loaded the machine. How much later depends on the machine, so there is no
    // upper bound: a hop that never gave up runs into the test's timeout.
    expect(took).toBeGreaterThanOrEqual(290);
  });

  it('answers 504 when the body stalls past the deadline', async () => {
    const tcp = await startTcpStub((socket) =>
      socket.once('data', () =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{"mess'),
      ),
    );
    cleanup.add(() => tcp.close());
    const err = await failure(`http://127.0.0.1:${tcp.port}/`, 300);
    expect(err.status).toBe(504);
  });

  it('answers 503, not 504, when the egress proxy refuses the CONNECT tunnel', async () => {
    const proxy = createServer();
    proxy.on('connect', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.add(() => new Promise<void>((r) => proxy.close(() => r())));
    const dispatcher = new ProxyAgent(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    cleanup.add(() => dispatcher.destroy());
    const err = await failure(
      'https://other-1.asia-northeast1.run.app/',
      2000,
      dispatcher as unknown as Agent,
    );
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/egress proxy refused the tunnel/);
  });

  it('answers 502 for a status outside HTTP’s range instead of passing it on', async () => {
    const tcp = await startTcpStub((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 999 Odd\r\ncontent-length: 2\r\n\r\n{}')),
    );
    cleanup.add(() => tcp.close());
    expect((await failure(`http://127.0.0.1:${tcp.port}/`)).status).toBe(502);
  });

  it('answers 502 rather than echo an over-long message', async () => {
    const s = await stub(json(200, { message: 'x'.repeat(5000) }));
    const err = await failure(`http://127.0.0.1:${s.port}/`);
    expect(err).toMatchObject({ status: 502, message: 'upstream message longer than 4096 characters' });
  });
});
