import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mesh, startWorld, type World } from './world.ts';

// client, proxy, proxy2 and target1 as processes; the sidecar stand-in sees every hop's headers
// as the app sent them. Routing headers forwarded: CHAIN_DEFAULTS.routingHeaders (x-variant).
let w: World;
beforeAll(async () => {
  w = await startWorld({ services: ['proxy', 'proxy2', 'target1'] });
});
afterAll(() => w?.close());

const CONTEXT = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
  'x-cloud-trace-context': '0af7651916cd43dd8448eb211c80319c/13222222222222222222;o=1',
  'x-variant': 'green',
};
const PRIVATE = {
  authorization: 'Bearer secret-token-123',
  cookie: 'sid=secret-session',
  'metadata-flavor': 'Google',
  'x-serverless-authorization': 'Bearer secret-token-456',
  'x-internal-debug': 'on',
  'x-user-group': 'beta', // not a configured routing header
};
const CHAIN = `/call/${mesh('proxy')}/${mesh('proxy2')}/${mesh('target1')}`;

/** The headers each hop of the last request was sent with, by the mesh host it went to. */
function hopsSince(before: number): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    w.sidecar.requests.slice(before).map((r) => [new URL(r.target).hostname, r.headers]),
  );
}

describe('headers along a 3-hop chain', () => {
  it('carries trace and routing headers unchanged to the last hop, and nothing private to any hop', async () => {
    const before = w.sidecar.requests.length;
    const res = await w.get(CHAIN, { ...CONTEXT, ...PRIVATE });
    expect(res.text).toBe('{"message":"client <- proxy <- proxy2 <- target1"}');

    const hops = hopsSince(before);
    expect(Object.keys(hops)).toEqual([mesh('proxy'), mesh('proxy2'), mesh('target1')]);
    expect(hops[mesh('target1')]).toMatchObject(CONTEXT);
    for (const [hop, headers] of Object.entries(hops)) {
      for (const name of Object.keys(PRIVATE)) expect(headers, `${hop} got ${name}`).not.toHaveProperty(name);
    }
  });

  it('hands each hop a smaller time budget than the one before', async () => {
    const before = w.sidecar.requests.length;
    await w.get(CHAIN);
    const budgets = Object.values(hopsSince(before)).map((h) => Number(h['x-meshapps-timeout-ms']));
    expect(budgets).toHaveLength(3);
    expect(budgets[0]).toBeLessThanOrEqual(4500);
    expect(budgets[1]).toBeLessThan(budgets[0] ?? 0);
    expect(budgets[2]).toBeLessThan(budgets[1] ?? 0);
  });

  it('sends no trace headers it did not receive', async () => {
    const before = w.sidecar.requests.length;
    await w.get(`/call/${mesh('target1')}`);
    const headers = hopsSince(before)[mesh('target1')];
    expect(headers).toBeDefined();
    for (const name of Object.keys(CONTEXT)) expect(headers).not.toHaveProperty(name);
  });
});
