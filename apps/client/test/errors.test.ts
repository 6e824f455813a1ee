import { afterEach, describe, expect, it } from 'vitest';
import {
  CLOUD_RUN_403_HTML,
  closedPort,
  json,
  request,
  resetMidBody,
  startHttpStub,
  startTcpStub,
} from '../../../packages/call/test/helpers/index.ts';
import { type Answer, get, type Mesh, mesh, startMesh } from './mesh.ts';

/** client -> proxy -> <stub> and client -> <stub>, where the stub is target1's mesh name. */
let m: Mesh | undefined;
afterEach(async () => {
  await m?.cleanup.run();
  m = undefined;
});

async function world(stub: { port: number; close(): Promise<void> }, hopTimeoutMs?: number) {
  m = await startMesh(['client', 'proxy'], [], hopTimeoutMs ? { hopTimeoutMs } : {});
  m.ports[mesh('target1')] = stub.port;
  m.cleanup.add(() => stub.close());
  return m.services.client?.url ?? '';
}

const direct = (client: string) => get(client, `/call/${mesh('target1')}`);
const viaProxy = (client: string) => get(client, `/call/${mesh('proxy')}/${mesh('target1')}`);

function expectClean(res: Answer) {
  expect(res.text).not.toMatch(/\bat .*:\d+:\d+|\.ts:\d+|node_modules/);
  expect(Object.keys(res.body.error).sort()).toEqual(['chain', 'hop', 'message', 'status']);
}

describe('error mapping along the chain', () => {
  it("passes Cloud Run's 403 through, naming the failing hop", async () => {
    const client = await world(
      await startHttpStub((_req, res) =>
        res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML),
      ),
    );
    const res = await direct(client);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      status: 403,
      hop: `client -> ${mesh('target1')}`,
      chain: ['client'],
    });
    expect(res.body.error.message).toContain(
      'Error: Forbidden Your client does not have permission to get URL / from this server.',
    );
    expectClean(res);
  });

  it('keeps the inner hop named when the 403 comes from two hops deep', async () => {
    const client = await world(
      await startHttpStub((_req, res) =>
        res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML),
      ),
    );
    const res = await viaProxy(client);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      status: 403,
      hop: `proxy -> ${mesh('target1')}`,
      chain: ['client', 'proxy'],
    });
    expect(res.body.error.message).toContain('Your client does not have permission');
    expectClean(res);
  });

  it('answers 503 when the next hop refuses the connection', async () => {
    const port = await closedPort();
    const client = await world({ port, close: async () => {} });
    const res = await viaProxy(client);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ hop: `proxy -> ${mesh('target1')}`, chain: ['client', 'proxy'] });
    expect(res.body.error.message).toMatch(/ECONNREFUSED/);
    expectClean(res);
  });

  it('answers 503 when the connection is reset mid-body', async () => {
    const client = await world(await startTcpStub(resetMidBody));
    const res = await direct(client);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ hop: `client -> ${mesh('target1')}`, chain: ['client'] });
    expectClean(res);
  });

  it.each([
    ['not JSON', 'text/html', '<html>hello from a captive portal</html>'],
    ['the wrong JSON', 'application/json', '{"msg":"target1"}'],
  ])('answers 502 when the upstream answers 200 with %s', async (_what, type, body) => {
    const client = await world(
      await startHttpStub((_req, res) => res.writeHead(200, { 'content-type': type }).end(body)),
    );
    for (const [res, hop, chain] of [
      [await direct(client), 'client', ['client']],
      [await viaProxy(client), 'proxy', ['client', 'proxy']],
    ] as const) {
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ status: 502, hop: `${hop} -> ${mesh('target1')}`, chain });
      expectClean(res);
    }
  });

  it('passes an upstream 500 in our own shape through unchanged', async () => {
    const client = await world(
      await startHttpStub(json(500, { error: { status: 500, message: 'internal error', chain: [] } })),
    );
    const res = await viaProxy(client);
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ message: 'internal error', hop: `proxy -> ${mesh('target1')}` });
  });

  it('answers 504 from the innermost hop first: its deadline is shorter than its caller’s', async () => {
    // 3 s, so the proxy's 10 % head start is 300 ms: a loaded CI worker's stall does not eat it.
    const HOP_TIMEOUT_MS = 3000;
    const slow = await startTcpStub(); // accepts, never answers
    const client = await world(slow, HOP_TIMEOUT_MS);
    const res = await viaProxy(client);
    expect(res.status).toBe(504);
    expect(res.body.error).toMatchObject({
      status: 504,
      hop: `proxy -> ${mesh('target1')}`,
      chain: ['client', 'proxy'],
    });
    // The proxy was given ~90 % of the client's budget, so its 504 arrives before the client's own
    // timeout would have fired.
    expect(res.body.error.message).toMatch(/did not answer within (\d+) ms/);
    const proxyBudget = Number(/within (\d+) ms/.exec(res.body.error.message)?.[1]);
    expect(proxyBudget).toBeLessThan(HOP_TIMEOUT_MS - 50);
    expect(res.ms).toBeGreaterThanOrEqual(proxyBudget - 20);
    expect(res.ms).toBeLessThan(HOP_TIMEOUT_MS);
    expectClean(res);
  });

  it("takes the caller's smaller budget from x-meshapps-timeout-ms", async () => {
    const client = await world(await startTcpStub(), 5000);
    const res = await get(client, `/call/${mesh('target1')}`, { 'x-meshapps-timeout-ms': '300' });
    expect(res.status).toBe(504);
    expect(res.body.error.hop).toBe(`client -> ${mesh('target1')}`);
    expect(res.ms).toBeLessThan(1000);
  });

  it('an abandoned request is cancelled down the chain: the last hop sees its connection close', async () => {
    const cancelled: boolean[] = [];
    const stub = await startHttpStub((_req, res) => {
      res.on('close', () => cancelled.push(!res.writableFinished)); // never answers by itself
    });
    const client = await world(stub, 5000);
    const caller = new AbortController();
    const pending = request(`${client}/call/${mesh('proxy')}/${mesh('target1')}`, {
      signal: caller.signal,
    }).catch((err: Error) => err);
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 3000;
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => stub.seen.length === 1);
    expect(stub.seen).toHaveLength(1);
    caller.abort(); // as a caller whose own deadline passed would
    expect(await pending).toBeInstanceOf(Error);
    await until(() => cancelled.length === 1);
    expect(cancelled).toEqual([true]);
  });
});
