import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, type Mesh, mesh, startMesh } from './mesh.ts';

// client and proxy run the chain routes; target1 and target2 answer their names.
let m: Mesh;
beforeAll(async () => {
  m = await startMesh(['client', 'proxy'], ['target1', 'target2']);
});
afterAll(() => m.cleanup.run());

const client = () => m.services.client?.url ?? '';

describe('the /call chain over the mesh (real sockets, mesh hostnames mapped to loopback)', () => {
  it('GET / answers the service name', async () => {
    const res = await get(client(), '/');
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client"}');
  });

  it('1 hop: client -> target1', async () => {
    const res = await get(client(), `/call/${mesh('target1')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- target1"}');
  });

  it('2 hops: client -> proxy -> target1', async () => {
    const res = await get(client(), `/call/${mesh('proxy')}/${mesh('target1')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- proxy <- target1"}');
  });

  it('3 hops: client -> proxy -> proxy -> target2', async () => {
    const res = await get(client(), `/call/${mesh('proxy')}/${mesh('proxy')}/${mesh('target2')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- proxy <- proxy <- target2"}');
  });

  it('dials each mesh hostname, with the Host header the mesh routes on, and passes the rest of the path on', async () => {
    const proxy = m.services.proxy;
    const target = m.services.target1;
    const [proxyBefore, targetBefore] = [proxy?.seen.length ?? 0, target?.seen.length ?? 0];
    const connectsBefore = m.connects.length;
    const res = await get(client(), `/call/${mesh('proxy')}/${mesh('target1')}?greeting=hi`);
    expect(res.status).toBe(200);
    expect(proxy?.seen.slice(proxyBefore).map((r) => [r.headers.host, r.url])).toEqual([
      [mesh('proxy'), `/call/${mesh('target1')}?greeting=hi`],
    ]);
    expect(target?.seen.slice(targetBefore).map((r) => [r.headers.host, r.url])).toEqual([
      [mesh('target1'), '/?greeting=hi'],
    ]);
    // Connections are kept alive, so a repeat dials at most these names again.
    for (const host of m.connects.slice(connectsBefore))
      expect([mesh('proxy'), mesh('target1')]).toContain(host);
  });

  it('lower-cases the hosts it is given', async () => {
    const res = await get(client(), `/call/PROXY.MeshApps.Internal/${mesh('target1').toUpperCase()}`);
    expect(res.text).toBe('{"message":"client <- proxy <- target1"}');
  });

  it('runs concurrent chains independently', async () => {
    const paths = [mesh('target1'), mesh('target2'), `${mesh('proxy')}/${mesh('target1')}`];
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(client(), `/call/${paths[i % 3]}`)),
    );
    expect(answers.map((a) => a.body.message)).toEqual(
      Array.from(
        { length: 30 },
        (_, i) => ['client <- target1', 'client <- target2', 'client <- proxy <- target1'][i % 3],
      ),
    );
  });

  it('answers 503 naming the hop when a mesh hostname does not resolve', async () => {
    const res = await get(client(), `/call/${mesh('proxy')}/${mesh('target9')}`);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({
      status: 503,
      hop: `proxy -> ${mesh('target9')}`,
      chain: ['client', 'proxy'],
    });
    expect(res.body.error.message).toMatch(/host not found \(ENOTFOUND\)/);
  });
});
