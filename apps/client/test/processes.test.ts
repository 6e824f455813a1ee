import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppProcess,
  Cleanup,
  type ForwardingProxy,
  request,
  spawnApp,
  startForwardingProxy,
} from '../../../packages/call/test/helpers/index.ts';

/**
 * client, proxy and target1 as three real processes, wired only by standard environment
 * (PORT, K_SERVICE, HTTP_PROXY) — the way the local mesh runs them. A forwarding proxy plays
 * the mesh sidecar and routes the mesh hostnames to their ports.
 */
const cleanup = new Cleanup();
let client: AppProcess;
let sidecar: ForwardingProxy;
beforeAll(async () => {
  const routes: Record<string, number> = {};
  sidecar = await startForwardingProxy({ routes });
  cleanup.add(() => sidecar.close());
  const env = (service: string) => ({ K_SERVICE: service, HTTP_PROXY: sidecar.url });
  const [c, p, t] = await Promise.all([
    spawnApp('apps/client/src/main.ts', env('client')),
    spawnApp('apps/proxy/src/main.ts', env('proxy')),
    spawnApp('apps/target/src/main.ts', env('target1')),
  ]);
  for (const app of [c, p, t]) cleanup.add(() => app.stop());
  client = c;
  routes['proxy.meshapps.internal'] = p.port;
  routes['target1.meshapps.internal'] = t.port;
});
afterAll(() => cleanup.run());

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${client.port}${path}`, { headers });
  return { status: res.statusCode, text: await res.body.text() };
}

describe('client -> proxy -> target1 as processes', () => {
  it('chains through the sidecar', async () => {
    expect(await get('/call/proxy.meshapps.internal/target1.meshapps.internal')).toEqual({
      status: 200,
      text: '{"message":"client <- proxy <- target1"}',
    });
    expect(sidecar.seen.slice(-2)).toEqual([
      'http://proxy.meshapps.internal/call/target1.meshapps.internal',
      'http://target1.meshapps.internal/',
    ]);
  });

  it('answers GET / with K_SERVICE', async () => {
    expect(await get('/')).toEqual({ status: 200, text: '{"message":"client"}' });
  });

  it('refuses a hostile host without asking the sidecar', async () => {
    const before = sidecar.seen.length;
    const res = await get('/call/metadata.google.internal');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatchObject({ status: 400, chain: ['client'] });
    expect(sidecar.seen.length).toBe(before);
  });
});
