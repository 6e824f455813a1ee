import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdTokens } from '@meshapps/call';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { decodeJwtPayload, withClaims } from '@meshapps/test-fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudRunFront, type Source } from '../src/cloud-run-front.ts';
import { TokenIssuer } from '../src/identity.ts';
import { startMetadataServer } from '../src/metadata-server.ts';

const AUD = 'https://target1-123456789012.asia-northeast1.run.app';
const issuer = new TokenIssuer();

function front(spec: Partial<ServiceSpec> = {}, customAudiences: string[] = []): CloudRunFront {
  return new CloudRunFront({
    spec: {
      name: 'target1',
      app: 'target',
      serviceAccount: 'meshapps-target1',
      mesh: true,
      ingress: 'internal',
      entry: 'none',
      invokers: ['proxy'],
      ...spec,
    },
    invokers: new Set(['meshapps-proxy@p.iam.gserviceaccount.com']),
    audiences: [AUD, ...customAudiences],
    issuer,
    appPort: () => undefined,
  });
}
const decide = async (token: string | Promise<string> | undefined, source: Source = 'mesh', f = front()) => {
  const bearer = await token;
  return f.decide(bearer ? { authorization: `Bearer ${bearer}` } : {}, source);
};

describe('Cloud Run front: token, then IAM', () => {
  it('an invoker with a valid token is admitted', async () => {
    expect(await decide(issuer.issue('meshapps-proxy@p.iam.gserviceaccount.com', AUD))).toMatchObject({
      status: 200,
    });
  });
  it('no token → 401', async () => {
    expect(await decide(undefined)).toMatchObject({
      status: 401,
      reason: expect.stringContaining('no bearer'),
    });
  });
  it('a token for another audience → 401', async () => {
    const d = await decide(
      issuer.issue('meshapps-proxy@p.iam.gserviceaccount.com', 'https://other-1.a.run.app'),
    );
    expect(d).toMatchObject({ status: 401, reason: expect.stringContaining('audience') });
  });
  it('an expired token → 401', async () => {
    const old = issuer.issue('meshapps-proxy@p.iam.gserviceaccount.com', AUD, Date.now() - 2 * 3600_000);
    expect(await decide(old)).toMatchObject({ status: 401, reason: 'the token has expired' });
  });
  it('a token signed by another key → 401', async () => {
    const forged = new TokenIssuer().issue('meshapps-proxy@p.iam.gserviceaccount.com', AUD);
    expect(await decide(forged)).toMatchObject({
      status: 401,
      reason: 'the token was not signed by a key this platform trusts',
    });
  });
  it('a tampered token → 401', async () => {
    const token = await issuer.issue('meshapps-proxy@p.iam.gserviceaccount.com', AUD);
    const tampered = withClaims(token, {
      iss: 'https://accounts.google.com',
      aud: AUD,
      email: 'x',
      exp: 9e9,
    });
    expect(await decide(tampered)).toMatchObject({
      status: 401,
      reason: 'the token signature is invalid',
    });
  });
  it('a configured custom audience is accepted like the run.app URL', async () => {
    const f = front({}, ['https://target1.meshapps.internal']);
    const token = await issuer.issue(
      'meshapps-proxy@p.iam.gserviceaccount.com',
      'https://target1.meshapps.internal',
    );
    expect((await f.decide({ authorization: `Bearer ${token}` }, 'mesh')).status).toBe(200);
  });
  it('a valid token from a non-invoker → 403 naming account, role and service', async () => {
    const d = await decide(issuer.issue('meshapps-client@p.iam.gserviceaccount.com', AUD));
    expect(d.status).toBe(403);
    expect(d.reason).toBe(
      'serviceAccount:meshapps-client@p.iam.gserviceaccount.com lacks roles/run.invoker (run.routes.invoke) on service target1',
    );
  });
  it('ingress internal refuses load-balancer and internet traffic (404, before any token check)', async () => {
    expect((await decide(undefined, 'load-balancer')).status).toBe(404);
    expect((await decide(undefined, 'internet')).status).toBe(404);
  });
  it('the load-balancer entry is invokable by allUsers, but only through the load balancer', async () => {
    const f = front({ ingress: 'internal-and-cloud-load-balancing', entry: 'load-balancer' });
    expect((await decide(undefined, 'load-balancer', f)).status).toBe(200);
    expect((await decide(undefined, 'mesh', f)).status).toBe(401);
    expect((await decide(undefined, 'internet', f)).status).toBe(404);
  });
  it('a front that fails while deciding ends that request only: the client is cut, nothing escapes', async () => {
    const broken = new CloudRunFront({
      spec: {
        name: 'target1',
        app: 'target',
        serviceAccount: 'meshapps-target1',
        mesh: true,
        ingress: 'all',
        entry: 'none',
        invokers: [],
      },
      invokers: new Set(),
      audiences: [AUD],
      issuer: { verify: () => Promise.reject(new Error('verifier broke')) } as unknown as TokenIssuer,
      appPort: () => undefined,
    });
    const server = createServer((req, res) => broken.handle(req, res, { source: 'mesh' }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const sent = fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: 'Bearer x.y.z' } });
      await expect(sent).rejects.toThrow();
      // An unhandled rejection would surface by now and fail this file.
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      server.close();
      broken.close();
    }
  });

  it('the JWKS verifies the tokens with a standard library', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    const key = createPublicKey({ key: issuer.jwks().keys[0] as never, format: 'jwk' });
    const [h, p, s] = (await issuer.issue('a@b', AUD)).split('.') as [string, string, string];
    expect(verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))).toBe(true);
  });
});

describe('metadata server with the real google-auth-library', () => {
  let identityCalls: string[] = [];
  let server: Awaited<ReturnType<typeof startMetadataServer>>;
  const saved = { ...process.env };

  async function start(lifetimeSeconds: number): Promise<void> {
    const shortLived = new TokenIssuer({ lifetimeSeconds });
    server = await startMetadataServer(
      { service: 'without-mesh-client', email: 'wmc@p.iam.gserviceaccount.com' },
      shortLived,
      {
        onIdentity: (_s, audience) => identityCalls.push(audience),
      },
    );
    process.env.GCE_METADATA_HOST = server.host;
  }
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'meshapps-home-'));
    process.env.HOME = home;
    process.env.GOOGLE_CLOUD_PROJECT = 'meshapps-local';
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  });
  afterEach(async () => {
    identityCalls = [];
    await server.close();
  });
  afterAll(() => {
    process.env = saved;
    rmSync(home, { recursive: true, force: true });
  });

  it('requires Metadata-Flavor: Google and echoes it', async () => {
    await start(3600);
    const bare = await fetch(`http://${server.host}/computeMetadata/v1/project/project-id`);
    expect(bare.status).toBe(403);
    expect(bare.headers.get('metadata-flavor')).toBe('Google');
    const jwks = (await (await fetch(`http://${server.host}/oauth2/v3/certs`)).json()) as { keys: object[] };
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const ok = await fetch(`http://${server.host}/computeMetadata/v1/project/project-id`, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    expect(await ok.text()).toBe('meshapps-local');
  });

  // Single-flight is IdTokens' own property (packages/call/test/id-tokens.test.ts); here, that the
  // real library gets from this server the token Cloud Run's metadata server would give.
  it('google-auth-library gets an ID token with the claims Cloud Run issues', async () => {
    await start(3600);
    const token = await new IdTokens().get(AUD);
    expect(identityCalls).toEqual([AUD]);
    const claims = decodeJwtPayload(token);
    expect(claims).toMatchObject({
      aud: AUD,
      email: 'wmc@p.iam.gserviceaccount.com',
      iss: 'https://accounts.google.com',
    });
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('a short-lived token is refreshed before it expires', async () => {
    // google-auth-library refreshes 5 minutes ahead; a 302 s token enters that window after 2 s.
    await start(302);
    // Only Date is faked: google-auth-library and the issuer read it; sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const tokens = new IdTokens();
      const first = await tokens.get(AUD);
      expect(await tokens.get(AUD)).toBe(first);
      vi.setSystemTime(Date.now() + 1000); // 301 s left: still outside the 5-minute window
      expect(await tokens.get(AUD)).toBe(first);
      vi.setSystemTime(Date.now() + 1100); // 299.9 s left: inside it
      const second = await tokens.get(AUD);
      const exp = (t: string) => decodeJwtPayload(t).exp * 1000;
      expect(second).not.toBe(first);
      expect(exp(first)).toBeGreaterThan(Date.now()); // the old token was still valid when replaced
      expect(exp(second)).toBeGreaterThan(exp(first));
      expect(identityCalls).toEqual([AUD, AUD]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('TokenIssuer: a verdict is remembered per token and audience, never past the token’s expiry', () => {
  const EMAIL = 'meshapps-proxy@p.iam.gserviceaccount.com';
  it('an expired token is refused after a cached success', async () => {
    const own = new TokenIssuer({ lifetimeSeconds: 60 });
    const now = Date.now();
    const token = await own.issue(EMAIL, AUD, now);
    expect(await own.verify(token, [AUD], now)).toMatchObject({ ok: true });
    expect(own.verifiedTokens).toBe(1);
    expect(await own.verify(token, [AUD], now + 61_000)).toEqual({
      ok: false,
      reason: 'the token has expired',
    });
  });
  it('a wrong audience is refused after a cached success', async () => {
    const own = new TokenIssuer();
    const token = await own.issue(EMAIL, AUD);
    expect(await own.verify(token, [AUD])).toMatchObject({ ok: true });
    const other = await own.verify(token, ['https://other-1.a.run.app']);
    expect(other).toEqual({
      ok: false,
      reason: `the token audience "${AUD}" is not this service (expected https://other-1.a.run.app)`,
    });
    expect(await own.verify(token, [AUD])).toMatchObject({ ok: true, claims: { email: EMAIL, aud: AUD } });
  });
  it('names the issuer, or the missing caller, when that is what is wrong', async () => {
    const own = new TokenIssuer();
    const { SignJWT } = await import('jose');
    const { generateKeyPairSync } = await import('node:crypto');
    // Signed with the issuer's own key (the only way past the signature), claims chosen here.
    const key = (own as unknown as { privateKey: import('node:crypto').KeyObject }).privateKey;
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: own.kid }).sign(key);
    const exp = Math.floor(Date.now() / 1000) + 600;
    expect(
      await own.verify(await sign({ iss: 'https://evil.example', aud: AUD, email: EMAIL, exp }), [AUD]),
    ).toEqual({
      ok: false,
      reason: 'the token issuer is not https://accounts.google.com',
    });
    expect(
      await own.verify(await sign({ iss: 'https://accounts.google.com', aud: AUD, exp }), [AUD]),
    ).toEqual({
      ok: false,
      reason: 'the token names no caller (email)',
    });
    // Another key under this platform's kid: the signature, not the key id, decides.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const impostor = await new SignJWT({ iss: 'https://accounts.google.com', aud: AUD, email: EMAIL, exp })
      .setProtectedHeader({ alg: 'RS256', kid: own.kid })
      .sign(other);
    expect(await own.verify(impostor, [AUD])).toEqual({
      ok: false,
      reason: 'the token signature is invalid',
    });
    expect(own.verifiedTokens).toBe(0);
  });
  it('a forged or tampered token never enters the cache, and is refused every time', async () => {
    const own = new TokenIssuer();
    const token = await own.issue(EMAIL, AUD);
    const forged = await new TokenIssuer().issue(EMAIL, AUD);
    const tampered = withClaims(token, {
      iss: 'https://accounts.google.com',
      aud: AUD,
      email: 'x',
      exp: 9e9,
    });
    for (let i = 0; i < 2; i++) {
      expect(await own.verify(forged, [AUD])).toMatchObject({ ok: false });
      expect(await own.verify(tampered, [AUD])).toEqual({
        ok: false,
        reason: 'the token signature is invalid',
      });
    }
    expect(own.verifiedTokens).toBe(0);
    // A cached genuine token does not vouch for a tampered copy of it.
    expect(await own.verify(token, [AUD])).toMatchObject({ ok: true });
    expect(await own.verify(tampered, [AUD])).toEqual({
      ok: false,
      reason: 'the token signature is invalid',
    });
    expect(own.verifiedTokens).toBe(1);
  });
  it('the cache is bounded', async () => {
    const own = new TokenIssuer();
    for (let i = 0; i < 300; i++) {
      await own.verify(await own.issue(`sa-${i}@p.iam.gserviceaccount.com`, AUD), [AUD]);
    }
    expect(own.verifiedTokens).toBe(256);
  });
  it('callers get their own copy of the claims', async () => {
    const own = new TokenIssuer();
    const token = await own.issue(EMAIL, AUD);
    const first = await own.verify(token, [AUD]);
    if (first.ok) first.claims.email = 'someone-else@p.iam.gserviceaccount.com';
    expect(await own.verify(token, [AUD])).toMatchObject({ ok: true, claims: { email: EMAIL } });
  });
});
