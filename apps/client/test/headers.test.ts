import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, type Mesh, mesh, startMesh } from './mesh.ts';

let m: Mesh;
beforeAll(async () => {
  // Default chain options: the routing headers forwarded are CHAIN_DEFAULTS.routingHeaders (x-variant).
  m = await startMesh(['client', 'proxy', 'proxy2'], ['target1']);
});
afterAll(() => m.cleanup.run());

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

describe('headers along a 3-hop chain', () => {
  it('carries trace and routing headers unchanged to the last hop, and nothing private to any hop', async () => {
    const res = await get(
      m.services.client?.url ?? '',
      `/call/${mesh('proxy')}/${mesh('proxy2')}/${mesh('target1')}`,
      { ...CONTEXT, ...PRIVATE },
    );
    expect(res.text).toBe('{"message":"client <- proxy <- proxy2 <- target1"}');

    const last = m.services.target1?.seen.at(-1)?.headers ?? {};
    expect(last).toMatchObject(CONTEXT);
    for (const hop of ['proxy', 'proxy2', 'target1']) {
      const headers = m.services[hop]?.seen.at(-1)?.headers ?? {};
      for (const name of Object.keys(PRIVATE)) expect(headers, `${hop} got ${name}`).not.toHaveProperty(name);
    }
  });

  it('hands each hop a smaller time budget than the one before', async () => {
    await get(m.services.client?.url ?? '', `/call/${mesh('proxy')}/${mesh('proxy2')}/${mesh('target1')}`);
    const budgets = ['proxy', 'proxy2', 'target1'].map((hop) =>
      Number(m.services[hop]?.seen.at(-1)?.headers['x-meshapps-timeout-ms']),
    );
    expect(budgets[0]).toBeLessThanOrEqual(4500);
    expect(budgets[1]).toBeLessThan(budgets[0] ?? 0);
    expect(budgets[2]).toBeLessThan(budgets[1] ?? 0);
  });

  it('sends no trace headers it did not receive', async () => {
    await get(m.services.client?.url ?? '', `/call/${mesh('target1')}`);
    const headers = m.services.target1?.seen.at(-1)?.headers ?? {};
    for (const name of Object.keys(CONTEXT)) expect(headers).not.toHaveProperty(name);
  });
});
