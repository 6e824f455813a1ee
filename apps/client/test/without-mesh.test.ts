import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOUD_RUN_403_HTML,
  Cleanup,
  decodeJwtPayload,
  json,
  type MetadataServer,
  mappedAgent,
  startMetadataServer,
  startTlsStub,
  TEST_SERVICE_ACCOUNT,
  type TlsStub,
  useMetadataServer,
} from '../../../packages/call/test/helpers/index.ts';
import { get, type Started, startChainService } from './mesh.ts';

/**
 * The without-mesh path end to end: the client (with its default IdTokens, i.e. the real
 * google-auth-library) asks a stub metadata server for an ID token and calls
 * `https://<svc>.run.app` — a loopback TLS server with a throw-away certificate for *.a.run.app.
 * The stand-in answers like Cloud Run: 403 without a bearer token.
 */
const TARGET = 'without-mesh-target-abc123-uc.a.run.app';
const SLOW_TARGET = 'slow-token-abc123-uc.a.run.app';
const cleanup = new Cleanup();
let metadata: MetadataServer;
let tls: TlsStub;
let client: Started;
let fastClient: Started;

beforeAll(async () => {
  metadata = await startMetadataServer();
  cleanup.add(() => metadata.close());
  const restore = useMetadataServer(metadata.host);
  cleanup.add(restore);
  tls = await startTlsStub(['*.a.run.app'], (req, res) => {
    if (!req.headers.authorization?.startsWith('Bearer ')) {
      res.writeHead(403, { 'content-type': 'text/html' }).end(CLOUD_RUN_403_HTML);
      return;
    }
    json(200, { message: 'without-mesh-target' })(req, res);
  });
  cleanup.add(() => tls.close());
  const { agent } = mappedAgent({ [TARGET]: tls.port, [SLOW_TARGET]: tls.port }, { ca: tls.ca });
  cleanup.add(() => agent.destroy());
  client = await startChainService('client', { dispatcher: agent });
  cleanup.add(() => client.app.close());
  fastClient = await startChainService('client', { dispatcher: agent, hopTimeoutMs: 500 });
  cleanup.add(() => fastClient.app.close());
});
afterAll(() => cleanup.run());

describe('/call-with-authheader/<run.app host>', () => {
  it('fetches exactly one ID token for 50 concurrent calls to one audience, and sends it to each', async () => {
    const before = { identity: metadata.identityRequests.length, seen: tls.seen.length };
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        get(client.url, `/call-with-authheader/${TARGET}`, { authorization: 'Bearer secret-token-123' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((a) => a.text))).toEqual(
      new Set(['{"message":"client <- without-mesh-target"}']),
    );

    expect(metadata.identityRequests.slice(before.identity)).toEqual([`https://${TARGET}`]);
    expect(metadata.refused).toBe(0);

    const seen = tls.seen.slice(before.seen);
    expect(seen).toHaveLength(50);
    const auth = new Set(seen.map((r) => r.headers.authorization));
    expect(auth.size).toBe(1);
    const [value] = [...auth];
    expect(value).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(value).not.toContain('secret-token-123');
    const claims = decodeJwtPayload(String(value).slice('Bearer '.length));
    expect(claims).toMatchObject({ aud: `https://${TARGET}`, email: TEST_SERVICE_ACCOUNT });
    expect(Number(claims.exp) * 1000).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(seen.every((r) => r.headers.host === TARGET)).toBe(true);
  });

  it('reuses the cached token on later calls', async () => {
    const before = metadata.identityRequests.length;
    await get(client.url, `/call-with-authheader/${TARGET}`);
    await get(client.url, `/call-with-authheader/${TARGET}`);
    expect(metadata.identityRequests.length).toBe(before);
  });

  it('passes the rest of the chain on to the run.app host', async () => {
    const res = await get(client.url, `/call-with-authheader/${TARGET}/next-abc123-uc.a.run.app?x=1`);
    expect(res.status).toBe(200);
    expect(tls.seen.at(-1)?.url).toBe('/call-with-authheader/next-abc123-uc.a.run.app?x=1');
  });

  it('bounds the token fetch by the hop deadline: a slow metadata server gives 504, not a hang', async () => {
    metadata.identityDelayMs = 3000;
    try {
      const res = await get(fastClient.url, `/call-with-authheader/${SLOW_TARGET}`);
      expect(res.status).toBe(504);
      expect(res.body.error).toMatchObject({
        status: 504,
        hop: `client -> ${SLOW_TARGET}`,
        chain: ['client'],
      });
      expect(res.ms).toBeLessThan(1000);
    } finally {
      metadata.identityDelayMs = 0;
    }
  });
});

describe('/call-without-authheader/<run.app host>', () => {
  it('sends no Authorization (not even the inbound one), so Cloud Run refuses with 403', async () => {
    const before = { identity: metadata.identityRequests.length, seen: tls.seen.length };
    const res = await get(client.url, `/call-without-authheader/${TARGET}`, {
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
    expect(metadata.identityRequests.length).toBe(before.identity);
  });
});
