import {
  asPathSegment,
  HOSTILE_MESH_HOSTS,
  HOSTILE_RUN_APP_HOSTS,
  runAppHost,
  startTcpStub,
  type TcpStub,
  TEST_PROJECT_NUMBER,
  TEST_REGION,
} from '@meshapps/test-fixtures';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mesh, startWorld, type World } from './world.ts';

// The client process, with the sidecar stand-in as its only way out (HTTP_PROXY and HTTPS_PROXY):
// whatever it would send, the sidecar records before anything else happens. Mesh hosts it routes
// lead to a trap that answers like a healthy target. ID tokens come from the metadata stand-in,
// which counts every one asked for: a hostile host must never get as far as asking.
let w: World;
let trap: TcpStub;
beforeAll(async () => {
  w = await startWorld();
  trap = await startTcpStub((socket) =>
    socket.on('data', () =>
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 18\r\n\r\n{"message":"trap"}',
      ),
    ),
  );
  w.routes[mesh('target1')] = trap.port;
});
afterAll(async () => {
  await trap?.close();
  await w?.close();
});

// This project's run.app hosts are the ones the client may call (learnt from the metadata
// server): the hostile spellings are turned into spellings of one of those, so each is refused
// for what it is, not merely for being another project's.
const THIS_PROJECT = `-${TEST_PROJECT_NUMBER}.${TEST_REGION}.run`;
const HOSTILE_THIS_PROJECT = HOSTILE_RUN_APP_HOSTS.map((h) => h.replace('-abc.a.run', THIS_PROJECT));

let sent: { requests: number; tunnels: number; tokens: number };
beforeEach(() => {
  sent = {
    requests: w.sidecar.seen.length,
    tunnels: w.sidecar.tunnelled.length,
    tokens: w.metadata.identityRequests.length,
  };
});

function expectNothingSent() {
  expect(w.sidecar.seen.slice(sent.requests)).toEqual([]);
  expect(w.sidecar.tunnelled.slice(sent.tunnels)).toEqual([]);
  expect(w.metadata.identityRequests.slice(sent.tokens)).toEqual([]);
  expect(trap.connections()).toBe(0);
}

async function expectRefused(path: string, message?: RegExp) {
  const res = await w.get(path);
  expect(res.status, path).toBe(400);
  expect(res.body?.error?.status, path).toBe(400);
  expect(typeof res.body?.error?.message, path).toBe('string');
  if (message) expect(res.body.error.message, path).toMatch(message);
  expect(res.text).not.toMatch(/\bat .*:\d+:\d+|\.ts:\d+/);
  return res;
}

describe('hostile hop hosts are refused with 400 before anything is sent', () => {
  it(`covers ${HOSTILE_MESH_HOSTS.length} mesh-path hosts`, () => {
    expect(HOSTILE_MESH_HOSTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE_MESH_HOSTS)('/call/%s', async (host) => {
    const res = await expectRefused(`/call/${asPathSegment(host)}`);
    // Only a URL the router cannot decode at all is refused before the chain sees it.
    if (host !== '%' && !host.includes('%zz')) {
      expect(res.body.error).toEqual({
        status: 400,
        message: expect.stringMatching(/^host 1 refused: /),
        chain: ['client'],
      });
    }
    expectNothingSent();
  });

  it.each(HOSTILE_MESH_HOSTS)('/call/<proxy>/%s (second host)', async (host) => {
    await expectRefused(`/call/${mesh('proxy')}/${asPathSegment(host)}`);
    expectNothingSent();
  });

  it.each(HOSTILE_THIS_PROJECT)('/call-with-authheader/%s', async (host) => {
    await expectRefused(`/call-with-authheader/${asPathSegment(host)}`, /host 1 refused: /);
    expectNothingSent();
  });

  it.each(HOSTILE_THIS_PROJECT)('/call-without-authheader/%s', async (host) => {
    await expectRefused(`/call-without-authheader/${asPathSegment(host)}`, /host 1 refused: /);
    expectNothingSent();
  });

  it("refuses another project's run.app services: only this project's, from the metadata server", async () => {
    const allowed = `\\(\\*-${TEST_PROJECT_NUMBER}\\.${TEST_REGION}\\.run\\.app\\)`;
    for (const host of [
      'svc-999999999999.asia-northeast1.run.app',
      `svc-${TEST_PROJECT_NUMBER}.us-central1.run.app`,
    ]) {
      await expectRefused(`/call-with-authheader/${host}`, new RegExp(`not in the allow-list ${allowed}`));
    }
    expectNothingSent();
  });

  it('keeps the modes apart: no run.app host on the mesh path, no mesh host without the mesh', async () => {
    await expectRefused(`/call/${runAppHost('svc')}`, /not in the allow-list \(\*\.meshapps\.internal\)/);
    await expectRefused(`/call-with-authheader/${mesh('target1')}`, /not in the allow-list \(\*-\d+\./);
    await expectRefused(`/call-without-authheader/${mesh('target1')}`, /not in the allow-list/);
    await expectRefused(`/call-with-authheader/${runAppHost('svc')}/${mesh('target1')}`, /^host 2 refused/);
    expectNothingSent();
  });

  it('refuses a chain longer than the hop limit (10), naming the limit', async () => {
    const hosts = Array.from({ length: 11 }, (_, i) => mesh(`t${i}`)).join('/');
    await expectRefused(`/call/${hosts}`, /the hop limit is 10/);
    expectNothingSent();
  });

  it('refuses a chain whose third host is hostile, though the first two are fine', async () => {
    await expectRefused(`/call/${mesh('proxy')}/${mesh('target1')}/169.254.169.254`, /^host 3 refused/);
    expectNothingSent();
  });

  it('needs at least one host', async () => {
    await expectRefused('/call', /name at least one host/);
    await expectRefused('/call/', /name at least one host/);
    expectNothingSent();
  });

  // Last: proves the sidecar and the trap would have seen a call.
  it('(control) does send, and connect, for an allowed host', async () => {
    const res = await w.get(`/call/${mesh('target1')}`);
    expect(res.text).toBe('{"message":"client <- trap"}');
    expect(w.sidecar.seen.slice(sent.requests)).toEqual([`http://${mesh('target1')}/`]);
    expect(trap.connections()).toBe(1);
  });
});
