import { IdTokens } from '@meshapps/call';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asPathSegment,
  Cleanup,
  HOSTILE_MESH_HOSTS,
  HOSTILE_RUN_APP_HOSTS,
  mappedAgent,
  recording,
  startTcpStub,
  type TcpStub,
} from '../../../packages/call/test/helpers/index.ts';
import { get, mesh, type Started, startChainService } from './mesh.ts';

/** Counts token requests; a hostile host must never get as far as asking for one. */
class CountingIdTokens extends IdTokens {
  calls = 0;
  override async get(_audience: string): Promise<string> {
    this.calls++;
    return 'header.payload.signature';
  }
}

// Whatever the client dials lands on one trap: a TCP server counting connections that answers
// like a healthy target. Every dispatch is recorded before any connect is even attempted.
const cleanup = new Cleanup();
let trap: TcpStub;
let dispatched: string[];
let idTokens: CountingIdTokens;
let client: Started;
beforeAll(async () => {
  trap = await startTcpStub((socket) =>
    socket.on('data', () =>
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 18\r\n\r\n{"message":"trap"}',
      ),
    ),
  );
  cleanup.add(() => trap.close());
  const { agent } = mappedAgent(() => trap.port);
  cleanup.add(() => agent.destroy());
  const recorder = recording(agent);
  dispatched = recorder.dispatched;
  idTokens = new CountingIdTokens();
  client = await startChainService('client', { dispatcher: recorder.dispatcher, idTokens });
  cleanup.add(() => client.app.close());
});
afterAll(() => cleanup.run());

function expectNothingSent() {
  expect(dispatched).toEqual([]);
  expect(trap.connections()).toBe(0);
  expect(idTokens.calls).toBe(0);
}

async function expectRefused(path: string, message?: RegExp) {
  const res = await get(client.url, path);
  expect(res.status, path).toBe(400);
  expect(res.body?.error?.status, path).toBe(400);
  expect(typeof res.body?.error?.message, path).toBe('string');
  if (message) expect(res.body.error.message, path).toMatch(message);
  expect(res.text).not.toMatch(/\bat .*:\d+:\d+|\.ts:\d+/);
  return res;
}

describe('hostile hop hosts are refused with 400 before anything is dialled', () => {
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

  it.each(HOSTILE_RUN_APP_HOSTS)('/call-with-authheader/%s', async (host) => {
    await expectRefused(`/call-with-authheader/${asPathSegment(host)}`, /host 1 refused: /);
    expectNothingSent();
  });

  it.each(HOSTILE_RUN_APP_HOSTS)('/call-without-authheader/%s', async (host) => {
    await expectRefused(`/call-without-authheader/${asPathSegment(host)}`, /host 1 refused: /);
    expectNothingSent();
  });

  it('keeps the modes apart: no run.app host on the mesh path, no mesh host without the mesh', async () => {
    await expectRefused('/call/svc-abc123-uc.a.run.app', /not in the allow-list \(\*\.meshapps\.internal\)/);
    await expectRefused(`/call-with-authheader/${mesh('target1')}`, /not in the allow-list \(\*\.run\.app\)/);
    await expectRefused(`/call-without-authheader/${mesh('target1')}`, /not in the allow-list/);
    await expectRefused(
      `/call-with-authheader/svc-abc123-uc.a.run.app/${mesh('target1')}`,
      /^host 2 refused/,
    );
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

  // Last: proves the recorder and the trap would have seen a call.
  it('(control) does dispatch and connect for an allowed host', async () => {
    const res = await get(client.url, `/call/${mesh('target1')}`);
    expect(res.text).toBe('{"message":"client <- trap"}');
    expect(dispatched).toEqual([`http://${mesh('target1')}/`]);
    expect(trap.connections()).toBe(1);
  });
});
