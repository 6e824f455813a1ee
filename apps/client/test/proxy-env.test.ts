import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Cleanup,
  EnvHttpProxyAgent,
  mappedConnect,
  startForwardingProxy,
} from '../../../packages/call/test/helpers/index.ts';
import { get, mesh, startChainService, startTarget } from './mesh.ts';

/**
 * On Cloud Run the mesh sidecar is reached the standard way: HTTP_PROXY / NO_PROXY, which
 * chainRoutes' default dispatcher (undici EnvHttpProxyAgent) honours. Here a tiny forwarding
 * proxy plays the sidecar and routes mesh hostnames to loopback services.
 */
const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];
let saved: Record<string, string | undefined>;
const cleanup = new Cleanup();
beforeEach(() => {
  saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
  for (const k of PROXY_VARS) delete process.env[k];
});
afterEach(async () => {
  await cleanup.run();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function targets() {
  const t1 = await startTarget('target1');
  const t2 = await startTarget('target2');
  cleanup.add(() => t1.app.close());
  cleanup.add(() => t2.app.close());
  return { t1, t2 };
}

describe('HTTP_PROXY / NO_PROXY', () => {
  it('with no dispatcher given, every hop goes through $HTTP_PROXY in absolute form', async () => {
    const { t1 } = await targets();
    const routes: Record<string, number> = { [mesh('target1')]: t1.port };
    const sidecar = await startForwardingProxy({ routes });
    cleanup.add(() => sidecar.close());
    process.env.HTTP_PROXY = sidecar.url;

    // No `dispatcher`: chainRoutes builds its own EnvHttpProxyAgent from the environment.
    const proxy = await startChainService('proxy', {});
    const client = await startChainService('client', {});
    cleanup.add(() => client.app.close());
    cleanup.add(() => proxy.app.close());
    routes[mesh('proxy')] = proxy.port;

    const res = await get(client.url, `/call/${mesh('proxy')}/${mesh('target1')}`);
    expect(res.text).toBe('{"message":"client <- proxy <- target1"}');
    expect(sidecar.seen).toEqual([
      `http://${mesh('proxy')}/call/${mesh('target1')}`,
      `http://${mesh('target1')}/`,
    ]);
  });

  it('sends NO_PROXY hosts directly and the rest through the proxy', async () => {
    const { t1, t2 } = await targets();
    const sidecar = await startForwardingProxy({ routes: { [mesh('target1')]: t1.port } });
    cleanup.add(() => sidecar.close());
    process.env.HTTP_PROXY = sidecar.url;
    process.env.NO_PROXY = `127.0.0.1,localhost,${mesh('target2')}`;

    // The direct path still needs "DNS" for the mesh name: only that part is mapped.
    const direct = mappedConnect({ [mesh('target2')]: t2.port });
    const dispatcher = new EnvHttpProxyAgent({ connect: direct.connect });
    cleanup.add(() => dispatcher.destroy());
    const client = await startChainService('client', { dispatcher });
    cleanup.add(() => client.app.close());

    expect((await get(client.url, `/call/${mesh('target1')}`)).text).toBe('{"message":"client <- target1"}');
    expect((await get(client.url, `/call/${mesh('target2')}`)).text).toBe('{"message":"client <- target2"}');
    expect(sidecar.seen).toEqual([`http://${mesh('target1')}/`]);
    expect(direct.connects).toEqual([mesh('target2')]);
  });
});
