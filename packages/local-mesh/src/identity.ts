import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { errors, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose';

/**
 * Google-style ID tokens for the local mesh: real RS256 JWTs signed by a key made at start,
 * with the claims Cloud Run checks (`aud`, `exp`, `iss`) and the caller identity (`email`).
 * Anyone can verify them with the JWKS the mesh serves, exactly as with Google's (decision 087).
 */
export const ISSUER = 'https://accounts.google.com';

export interface IdTokenClaims {
  iss: string;
  aud: string;
  azp: string;
  sub: string;
  email: string;
  email_verified: boolean;
  iat: number;
  exp: number;
}

export type VerifyResult = { ok: true; claims: IdTokenClaims } | { ok: false; reason: string };

/** How many verdicts a front remembers (one per caller, audience and token). */
const VERIFIED_TOKENS_MAX = 256;

/**
 * Issues and checks the tokens with `jose` (RS256 JWS, JWT claims). A check that passed is
 * remembered per token and audience list until the token's `exp`: a sidecar reuses one token per
 * audience for an hour, and the RSA check was 7.5% of the mesh process's CPU. Only successes are
 * stored, so a forged token is verified (and refused) every time; an expired one falls out and is
 * checked — and refused — again.
 */
export class TokenIssuer {
  readonly kid = randomUUID();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly lifetimeSeconds: number;
  private readonly verified = new Map<string, Readonly<IdTokenClaims>>();
  /** Checks under way: a burst of requests with one new token shares one RSA check. */
  private readonly checking = new Map<string, Promise<VerifyResult>>();

  constructor(opts: { lifetimeSeconds?: number } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.lifetimeSeconds = opts.lifetimeSeconds ?? 3600;
  }

  /** An ID token for `email` with audience `aud`, valid for one hour (as from the metadata server). */
  issue(email: string, aud: string, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    const claims: IdTokenClaims = {
      iss: ISSUER,
      aud,
      azp: numericId(email),
      sub: numericId(email),
      email,
      email_verified: true,
      iat,
      exp: iat + this.lifetimeSeconds,
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .sign(this.privateKey);
  }

  /** Signature, issuer, expiry, audience and caller, as Cloud Run checks them before the app. */
  async verify(token: string, audiences: readonly string[], now = Date.now()): Promise<VerifyResult> {
    const key = `${audiences.join(' ')} ${token}`;
    const known = this.verified.get(key);
    if (known && known.exp * 1000 > now) return { ok: true, claims: { ...known } };
    if (known) this.verified.delete(key);
    let check = this.checking.get(key);
    if (!check) {
      check = this.check(token, audiences, now, key);
      this.checking.set(key, check);
      void check.finally(() => this.checking.delete(key));
    }
    const result = await check;
    return result.ok ? { ok: true, claims: { ...result.claims } } : result;
  }

  private async check(
    token: string,
    audiences: readonly string[],
    now: number,
    key: string,
  ): Promise<VerifyResult> {
    let claims: IdTokenClaims;
    try {
      const { payload } = await jwtVerify(token, this.keyFor, {
        algorithms: ['RS256'],
        issuer: ISSUER,
        audience: [...audiences],
        requiredClaims: ['exp', 'email'],
        currentDate: new Date(now),
      });
      if (typeof payload.email !== 'string') return { ok: false, reason: NO_CALLER };
      claims = payload as unknown as IdTokenClaims;
    } catch (err) {
      return { ok: false, reason: refusal(err, audiences) };
    }
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(key, Object.freeze({ ...claims }));
    return { ok: true, claims };
  }

  /** Only this platform's key, named by its `kid`: anything else was signed by someone else. */
  private readonly keyFor = (header: JWTHeaderParameters): KeyObject => {
    if (header.kid !== this.kid) throw new UntrustedKey();
    return this.publicKey;
  };

  /** How many verdicts are remembered (for tests of the bound). */
  get verifiedTokens(): number {
    return this.verified.size;
  }

  /** The public key as a JWKS, like https://www.googleapis.com/oauth2/v3/certs. */
  jwks(): { keys: object[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }
}

const NO_CALLER = 'the token names no caller (email)';

class UntrustedKey extends Error {}

/** jose's error, in the words Cloud Run's 401 page and the hop log use. */
function refusal(err: unknown, audiences: readonly string[]): string {
  if (err instanceof UntrustedKey || err instanceof errors.JOSEAlgNotAllowed) {
    return 'the token was not signed by a key this platform trusts';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return `the token issuer is not ${ISSUER}`;
    if (err.claim === 'email') return NO_CALLER;
    if (err.claim === 'exp') return 'the token has expired';
    if (err.claim === 'aud') {
      const aud = JSON.stringify(err.payload.aud ?? null).slice(0, 200);
      return `the token audience ${aud} is not this service (expected ${audiences.join(' or ')})`;
    }
  }
  return 'the bearer token is not a JWT';
}

/** A stable 21-digit id per account, shaped like a Google service account's unique id. */
function numericId(email: string): string {
  let h = 0n;
  for (const c of email) h = (h * 131n + BigInt(c.codePointAt(0) ?? 0)) % 10n ** 21n;
  return h.toString().padStart(21, '1');
}
