import {
  Cleanup,
  decodeJwtPayload,
  json,
  type MetadataServer,
  mappedAgent,
  startMetadataServer,
  startTlsStub,
  TEST_SERVICE_ACCOUNT,
  useMetadataServer,
} from '@meshapps/test-fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callWithoutMesh, callWithoutToken, type HopContext, IdTokens } from '../src/index.ts';

const RUN_APP_HOST = 'without-mesh-target-abc123-uc.a.run.app';
const AUDIENCE = `https://${RUN_APP_HOST}`;

let metadata: MetadataServer;
let restoreEnv: () => void;
beforeAll(async () => {
  metadata = await startMetadataServer();
  restoreEnv = useMetadataServer(metadata.host);
});
afterAll(async () => {
  restoreEnv();
  await metadata.close();
});
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('the stub metadata server', () => {
  it('demands Metadata-Flavor: Google and echoes it', async () => {
    const url = `http://${metadata.host}/computeMetadata/v1/instance/service-accounts/default/identity?audience=x`;
    const refused = await fetch(url);
    expect(refused.status).toBe(403);
    const ok = await fetch(url, { headers: { 'metadata-flavor': 'Google' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('metadata-flavor')).toBe('Google');
    expect(decodeJwtPayload(await ok.text()).aud).toBe('x');
  });
});

describe('IdTokens', () => {
  // The one test of single-flight: the app and the stack tests rely on it, and do not repeat it.
  it('single-flight: 50 concurrent first calls to one audience make one identity request', async () => {
    const before = metadata.identityRequests.length;
    const refusedBefore = metadata.refused;
    const tokens = new IdTokens();
    const got = await Promise.all(Array.from({ length: 50 }, () => tokens.get(AUDIENCE)));
    expect(new Set(got).size).toBe(1);
    expect(metadata.identityRequests.slice(before)).toEqual([AUDIENCE]);
    const claims = decodeJwtPayload(got[0] ?? '');
    expect(claims.aud).toBe(AUDIENCE);
    expect(claims.email).toBe(TEST_SERVICE_ACCOUNT);
    expect(metadata.refused).toBe(refusedBefore);
  });

  it('a later call to the same audience is served from the cache', async () => {
    const tokens = new IdTokens();
    const first = await tokens.get(AUDIENCE);
    const before = metadata.identityRequests.length;
    expect(await tokens.get(AUDIENCE)).toBe(first);
    expect(metadata.identityRequests.length).toBe(before);
  });

  it('keeps one token per audience', async () => {
    const tokens = new IdTokens();
    const [a, b] = await Promise.all([tokens.get('https://a.a.run.app'), tokens.get('https://b.a.run.app')]);
    expect(decodeJwtPayload(a).aud).toBe('https://a.a.run.app');
    expect(decodeJwtPayload(b).aud).toBe('https://b.a.run.app');
  });
});

describe('the without-mesh call', () => {
  async function target() {
    const tls = await startTlsStub(['*.a.run.app'], json(200, { message: 'without-mesh-target' }));
    const { agent } = mappedAgent({ [RUN_APP_HOST]: tls.port }, { ca: tls.ca });
    cleanup.add(() => tls.close());
    cleanup.add(() => agent.destroy());
    const hop: HopContext = {
      name: `client -> ${RUN_APP_HOST}`,
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      timeoutMs: 2000,
      dispatcher: agent,
    };
    return { tls, hop };
  }

  it('sends an ID token for the https origin over TLS', async () => {
    const { tls, hop } = await target();
    expect(await callWithoutMesh(RUN_APP_HOST, '/', hop, new IdTokens())).toEqual({
      message: 'without-mesh-target',
    });
    const auth = String(tls.seen[0]?.headers.authorization);
    expect(auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeJwtPayload(auth.slice('Bearer '.length)).aud).toBe(AUDIENCE);
    expect(tls.seen[0]?.headers.traceparent).toBe(hop.headers.traceparent);
  });

  it('gives up with 504 naming the hop when no token comes within the hop budget', async () => {
    const { tls, hop } = await target();
    class StuckIdTokens extends IdTokens {
      override get(): Promise<string> {
        return new Promise(() => {});
      }
    }
    // The token never comes: only the hop's deadline can end this (else the test times out).
    const err = await callWithoutMesh(
      RUN_APP_HOST,
      '/',
      { ...hop, timeoutMs: 200 },
      new StuckIdTokens(),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 504,
      hop: `client -> ${RUN_APP_HOST}`,
      message: 'no ID token within 200 ms',
    });
    expect(tls.seen).toHaveLength(0);
  });

  it('answers 500 naming the hop when no token can be fetched, and sends nothing', async () => {
    const { tls, hop } = await target();
    class FailingIdTokens extends IdTokens {
      override get(): Promise<string> {
        return Promise.reject(new Error('metadata server unreachable'));
      }
    }
    const err = await callWithoutMesh(RUN_APP_HOST, '/', hop, new FailingIdTokens()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 500,
      hop: `client -> ${RUN_APP_HOST}`,
      message: 'metadata server unreachable',
    });
    expect(tls.seen).toHaveLength(0);
  });

  it('sends no Authorization at all without a token', async () => {
    const { tls, hop } = await target();
    await callWithoutToken(RUN_APP_HOST, '/', hop);
    expect(tls.seen[0]?.headers).not.toHaveProperty('authorization');
  });
});
