import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mesh, startWorld, type World } from './world.ts';

// client (main.ts), proxy, target1 and target2, each its own process, reach each other only
// through the sidecar stand-in HTTP_PROXY names.
let w: World;
beforeAll(async () => {
  w = await startWorld({ services: ['proxy', 'target1', 'target2'] });
});
afterAll(() => w?.close());

describe('the /call chain over the mesh, client as its own process', () => {
  it('GET / answers the service name K_SERVICE gives', async () => {
    const res = await w.get('/');
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client"}');
  });

  it('1 hop: client -> target1', async () => {
    const res = await w.get(`/call/${mesh('target1')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- target1"}');
  });

  it('2 hops: client -> proxy -> target1', async () => {
    const res = await w.get(`/call/${mesh('proxy')}/${mesh('target1')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- proxy <- target1"}');
  });

  it('3 hops: client -> proxy -> proxy -> target2', async () => {
    const res = await w.get(`/call/${mesh('proxy')}/${mesh('proxy')}/${mesh('target2')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- proxy <- proxy <- target2"}');
  });

  it('sends every hop to $HTTP_PROXY in absolute form, Host the mesh name, the rest of the path passed on', async () => {
    const before = w.sidecar.requests.length;
    const res = await w.get(`/call/${mesh('proxy')}/${mesh('target1')}?greeting=hi`);
    expect(res.status).toBe(200);
    expect(w.sidecar.requests.slice(before).map((r) => [r.target, r.headers.host])).toEqual([
      [`http://${mesh('proxy')}/call/${mesh('target1')}?greeting=hi`, mesh('proxy')],
      [`http://${mesh('target1')}/?greeting=hi`, mesh('target1')],
    ]);
  });

  it('lower-cases the hosts it is given', async () => {
    const res = await w.get(`/call/PROXY.MeshApps.Internal/${mesh('target1').toUpperCase()}`);
    expect(res.text).toBe('{"message":"client <- proxy <- target1"}');
  });

  it('runs concurrent chains independently', async () => {
    const paths = [mesh('target1'), mesh('target2'), `${mesh('proxy')}/${mesh('target1')}`];
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => w.get(`/call/${paths[i % 3]}`)));
    expect(answers.map((a) => a.body.message)).toEqual(
      Array.from(
        { length: 30 },
        (_, i) => ['client <- target1', 'client <- target2', 'client <- proxy <- target1'][i % 3],
      ),
    );
  });

  it("an unknown mesh host two hops in: the sidecar's 404 comes back naming the inner hop", async () => {
    const res = await w.get(`/call/${mesh('proxy')}/${mesh('target9')}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({
      status: 404,
      hop: `proxy -> ${mesh('target9')}`,
      chain: ['client', 'proxy'],
    });
    expect(res.body.error.message).toContain(`no route for host "${mesh('target9')}" in the mesh`);
  });
});
