import { generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

/**
 * Google-style ID tokens for the local mesh: real RS256 JWTs signed by a key made at start,
 * with the claims Cloud Run checks (`aud`, `exp`, `iss`) and the caller identity (`email`).
 * Anyone can verify them with the JWKS the mesh serves, exactly as with Google's.
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

/** How many distinct signature-checked tokens a front remembers (one per caller and audience). */
const VERIFIED_TOKENS_MAX = 256;

export class TokenIssuer {
  readonly kid = randomUUID();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly lifetimeSeconds: number;
  /**
   * Tokens whose header and RS256 signature already checked out, with their parsed claims.
   * A sidecar reuses one token per audience for an hour, and the RSA check was 7.5% of the mesh
   * process's CPU. Only the signature is remembered: a token string is immutable, so its
   * signature verdict is too; issuer, expiry, audience and caller are checked on every call.
   * Only successes are stored, so a forged token is verified (and refused) every time.
   */
  private readonly verified = new Map<string, Readonly<Partial<IdTokenClaims>>>();

  constructor(opts: { lifetimeSeconds?: number } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.lifetimeSeconds = opts.lifetimeSeconds ?? 3600;
  }

  /** An ID token for `email` with audience `aud`, valid for one hour (as from the metadata server). */
  issue(email: string, aud: string, now = Date.now()): string {
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
    const header = { alg: 'RS256', kid: this.kid, typ: 'JWT' };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  /** Checks signature, issuer, expiry and audience, in Cloud Run's order of concerns. */
  verify(token: string, audiences: readonly string[], now = Date.now()): VerifyResult {
    let claims = this.verified.get(token);
    if (claims === undefined) {
      const signed = this.verifySignature(token);
      if (!signed.ok) return signed;
      claims = signed.claims;
    }
    if (claims.iss !== ISSUER) return { ok: false, reason: `the token issuer is not ${ISSUER}` };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now)
      return { ok: false, reason: 'the token has expired' };
    if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) {
      return {
        ok: false,
        reason: `the token audience ${JSON.stringify(claims.aud ?? null).slice(0, 200)} is not this service (expected ${audiences.join(' or ')})`,
      };
    }
    if (typeof claims.email !== 'string') return { ok: false, reason: 'the token names no caller (email)' };
    return { ok: true, claims: { ...claims } as IdTokenClaims };
  }

  /** Shape, key and RS256 signature; a success is remembered (bounded, oldest out first). */
  private verifySignature(
    token: string,
  ): { ok: true; claims: Readonly<Partial<IdTokenClaims>> } | { ok: false; reason: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'the bearer token is not a JWT' };
    const [h, p, s] = parts as [string, string, string];
    // Header and claims must be JSON objects: `null`, numbers or arrays parse, but are no JWT.
    const header = jsonObject(h) as { alg?: unknown; kid?: unknown } | undefined;
    const claims = jsonObject(p) as Partial<IdTokenClaims> | undefined;
    if (!header || !claims) return { ok: false, reason: 'the bearer token is not a JWT' };
    if (header.alg !== 'RS256' || header.kid !== this.kid) {
      return { ok: false, reason: 'the token was not signed by a key this platform trusts' };
    }
    if (!verify('sha256', Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, 'base64url'))) {
      return { ok: false, reason: 'the token signature is invalid' };
    }
    const frozen = Object.freeze(claims);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, frozen);
    return { ok: true, claims: frozen };
  }

  /** How many signature checks are remembered (for tests of the bound). */
  get verifiedTokens(): number {
    return this.verified.size;
  }

  /** The public key as a JWKS, like https://www.googleapis.com/oauth2/v3/certs. */
  jwks(): { keys: object[] } {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }
}

/** A stable 21-digit id per account, shaped like a Google service account's unique id. */
function numericId(email: string): string {
  let h = 0n;
  for (const c of email) h = (h * 131n + BigInt(c.codePointAt(0) ?? 0)) % 10n ** 21n;
  return h.toString().padStart(21, '1');
}

/** The base64url segment as a JSON object, or undefined (malformed, or `null`/array/number). */
function jsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
