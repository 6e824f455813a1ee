import {
  CLOUD_RUN_403_HTML,
  decodeJwtPayload,
  json,
  runAppHost,
  startTlsStub,
  TEST_SERVICE_ACCOUNT,
  type TlsStub,
} from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './world.ts';

/**
 * The without-mesh path, client as its own process: google-auth-library (inside it) asks the
 * metadata server stand-in (GCE_METADATA_HOST) for an ID token and calls
 * `https://<svc>-<project number>.<region>.run.app` through HTTPS_PROXY's CONNECT tunnel — to a
 * loopback TLS server whose throw-away CA the process trusts by NODE_EXTRA_CA_CERTS. The stand-in
 * answers like Cloud Run: 403 without a bearer token.
 */
const TARGET = runAppHost('without-mesh-target');
const SLOW_TARGET = runAppHost('slow-token');
let w: World;
let tls: TlsStub;

beforeAll(async () => {
  tls = await startTlsStub([`*.${TARGET.split('.').slice(1).join('.')}`], (req, res) => {
    if (!req.headers.authorization?.startsWith('Bearer ')) {
      res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML);
      return;
    }
    json(200, { message: 'without-mesh-target' })(req, res);
  });
  w = await startWorld({ runApp: { tunnels: { [TARGET]: tls.port, [SLOW_TARGET]: tls.port }, ca: tls.ca } });
});
afterAll(async () => {
  await w?.close();
  await tls?.close();
});

const mark = () => ({
  identity: w.metadata.identityRequests.length,
  seen: tls.seen.length,
  tunnelled: w.sidecar.tunnelled.length,
  proxied: w.sidecar.seen.length,
});

describe('/call-with-authheader/<run.app host>', () => {
  it('sends an ID token for the https origin through the HTTPS_PROXY tunnel, never the inbound one', async () => {
    const before = mark();
    const res = await w.get(`/call-with-authheader/${TARGET}`, { authorization: 'Bearer secret-token-123' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"client <- without-mesh-target"}');

    expect(w.metadata.identityRequests.slice(before.identity)).toEqual([`https://${TARGET}`]);
    expect(w.metadata.refused).toBe(0);
    expect(w.sidecar.tunnelled.slice(before.tunnelled)).toEqual([`${TARGET}:443`]);
    // The metadata server is on NO_PROXY: asked directly, never through the sidecar.
    expect(w.sidecar.seen.slice(before.proxied)).toEqual([]);

    const seen = tls.seen.slice(before.seen);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.host).toBe(TARGET);
    const value = String(seen[0]?.headers.authorization);
    expect(value).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(value).not.toContain('secret-token-123');
    const claims = decodeJwtPayload(value.slice('Bearer '.length));
    expect(claims).toMatchObject({ aud: `https://${TARGET}`, email: TEST_SERVICE_ACCOUNT });
    expect(Number(claims.exp) * 1000).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  // The process keeps one IdTokens for all its requests (single-flight itself is IdTokens' test).
  it('keeps the token for later calls: no new identity request', async () => {
    const before = mark();
    await w.get(`/call-with-authheader/${TARGET}`);
    await w.get(`/call-with-authheader/${TARGET}`);
    expect(w.metadata.identityRequests.length).toBe(before.identity);
    const sent = tls.seen.slice(before.seen).map((r) => r.headers.authorization);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe(sent[1]);
  });

  it('passes the rest of the chain on to the run.app host', async () => {
    const next = runAppHost('next');
    const res = await w.get(`/call-with-authheader/${TARGET}/${next}?x=1`);
    expect(res.status).toBe(200);
    expect(tls.seen.at(-1)?.url).toBe(`/call-with-authheader/${next}?x=1`);
  });

  it('bounds the token fetch by the hop deadline: a slow metadata server gives 504, not a hang', async () => {
    w.metadata.identityDelayMs = 30_000;
    try {
      const res = await w.get(`/call-with-authheader/${SLOW_TARGET}`, { 'x-meshapps-timeout-ms': '500' });
      expect(res.status).toBe(504);
      expect(res.body.error).toMatchObject({
        status: 504,
        hop: `client -> ${SLOW_TARGET}`,
        chain: ['client'],
      });
      expect(res.body.error.message).toMatch(/^no ID token within \d+ ms$/);
    } finally {
      w.metadata.identityDelayMs = 0;
    }
  });
});

describe('/call-without-authheader/<run.app host>', () => {
  it('sends no Authorization (not even the inbound one), so Cloud Run refuses with 403', async () => {
    const before = mark();
    const res = await w.get(`/call-without-authheader/${TARGET}`, {
      authorization: 'Bearer secret-token-123',
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ status: 403, hop: `client -> ${TARGET}`, chain: ['client'] });
    expect(res.body.error.message).toContain(
      'Your client does not have permission to get URL / from this server.',
    );
    const seen = tls.seen.slice(before.seen);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers).not.toHaveProperty('authorization');
    expect(w.metadata.identityRequests.length).toBe(before.identity);
  });
});
