import {
  CLOUD_RUN_403_HTML,
  Cleanup,
  json,
  request,
  startHttpStub,
  startTcpStub,
  until,
} from '@meshapps/test-fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, mesh, startWorld, type World } from './world.ts';

/**
 * Errors along client -> proxy -> <stub>, client and proxy their own processes; the stub stands
 * where target1 would and answers what the test needs. How one hop maps a refused or reset
 * connection, a non-JSON answer or DNS is getJson's (packages/call/test/get-json.test.ts); here,
 * what the chain of processes makes of an error: who is named, which deadline fires first, what
 * a caller going away cancels.
 */
let w: World;
beforeAll(async () => {
  w = await startWorld({ services: ['proxy'] });
});
afterAll(() => w?.close());
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Puts `stub` where target1.meshapps.internal leads. */
function asTarget1(stub: { port: number; close(): Promise<void> }): void {
  w.routes[mesh('target1')] = stub.port;
  cleanup.add(() => stub.close());
}

const direct = () => w.get(`/call/${mesh('target1')}`);
const viaProxy = (headers?: Record<string, string>) =>
  w.get(`/call/${mesh('proxy')}/${mesh('target1')}`, headers);

function expectClean(res: Answer) {
  expect(res.text).not.toMatch(/\bat .*:\d+:\d+|\.ts:\d+|node_modules/);
  expect(Object.keys(res.body.error).sort()).toEqual(['chain', 'hop', 'message', 'status']);
}

describe('error mapping along the chain', () => {
  it("passes Cloud Run's 403 through, naming the failing hop", async () => {
    asTarget1(
      await startHttpStub((_req, res) =>
        res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML),
      ),
    );
    const res = await direct();
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
    asTarget1(
      await startHttpStub((_req, res) =>
        res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML),
      ),
    );
    const res = await viaProxy();
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      status: 403,
      hop: `proxy -> ${mesh('target1')}`,
      chain: ['client', 'proxy'],
    });
    expect(res.body.error.message).toContain('Your client does not have permission');
    expectClean(res);
  });

  it('passes an upstream 500 in our own shape through unchanged', async () => {
    asTarget1(
      await startHttpStub(json(500, { error: { status: 500, message: 'internal error', chain: [] } })),
    );
    const res = await viaProxy();
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ message: 'internal error', hop: `proxy -> ${mesh('target1')}` });
  });

  it('answers 504 from the innermost hop first: its deadline is shorter than its caller’s', async () => {
    asTarget1(await startTcpStub()); // accepts, never answers
    // The client's budget from its caller; proxy gets ~90 % of what is left of it. Which hop's
    // timer fired first is in the answer itself: the hop named and the budget it had.
    const res = await viaProxy({ 'x-meshapps-timeout-ms': '3000' });
    expect(res.status).toBe(504);
    expect(res.body.error).toMatchObject({
      status: 504,
      hop: `proxy -> ${mesh('target1')}`,
      chain: ['client', 'proxy'],
    });
    const budget = Number(/did not answer within (\d+) ms/.exec(res.body.error.message)?.[1]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThan(3000);
    expectClean(res);
  });

  it("takes the caller's smaller budget from x-meshapps-timeout-ms", async () => {
    asTarget1(await startTcpStub());
    const res = await w.get(`/call/${mesh('target1')}`, { 'x-meshapps-timeout-ms': '300' });
    expect(res.status).toBe(504);
    expect(res.body.error.hop).toBe(`client -> ${mesh('target1')}`);
    const budget = Number(/did not answer within (\d+) ms/.exec(res.body.error.message)?.[1]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(300);
  });

  it('an abandoned request is cancelled down the chain: the last hop sees its connection close', async () => {
    const cancelled: boolean[] = [];
    const stub = await startHttpStub((_req, res) => {
      res.on('close', () => cancelled.push(!res.writableFinished)); // never answers by itself
    });
    asTarget1(stub);
    const caller = new AbortController();
    const pending = request(`http://127.0.0.1:${w.client.port}/call/${mesh('proxy')}/${mesh('target1')}`, {
      signal: caller.signal,
    }).catch((err: Error) => err);
    await until(() => stub.seen.length === 1, 'the request never reached the last hop');
    caller.abort(); // as a caller whose own deadline passed would
    expect(await pending).toBeInstanceOf(Error);
    await until(() => cancelled.length === 1, 'the last hop never saw its connection close');
    expect(cancelled).toEqual([true]);
  });
});
