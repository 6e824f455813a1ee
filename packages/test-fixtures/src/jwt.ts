/**
 * The tests' one JWT helper: Google-shaped ID tokens that are not signed (google-auth-library only
 * reads `exp` to decide when to refetch), reading a token's claims, and swapping them in a signed
 * token (to show a verifier notices). Signed tokens come from the local mesh's TokenIssuer.
 */
export const TEST_SERVICE_ACCOUNT = 'client@meshapps-test.iam.gserviceaccount.com';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function fakeIdToken(audience: string, lifetimeS = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  return [
    part({ alg: 'RS256', kid: 'meshapps-test', typ: 'JWT' }),
    part({
      aud: audience,
      azp: '100000000000000000001',
      email: TEST_SERVICE_ACCOUNT,
      email_verified: true,
      exp: now + lifetimeS,
      iat: now,
      iss: 'https://accounts.google.com',
      sub: '100000000000000000001',
    }),
    Buffer.from('not-a-real-signature').toString('base64url'),
  ].join('.');
}

export function decodeJwtPayload(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** `token` with `claims` in place of its own, header and signature kept. */
export function withClaims(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${part(claims)}.${signature}`;
}
