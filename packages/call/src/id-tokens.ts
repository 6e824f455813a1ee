import type { GoogleAuth, IdTokenClient } from 'google-auth-library';

/**
 * ID tokens for the without-mesh path: one google-auth-library client per audience (each caches
 * and refreshes its own token) and single-flight fetches, so a burst of first calls to one
 * audience asks the metadata server once instead of once per call.
 */
/** Audiences kept at once; the allow-list bounds them, this bounds memory whatever it allows. */
const MAX_AUDIENCES = 64;

export class IdTokens {
  private readonly clients = new Map<string, Promise<IdTokenClient>>();
  private readonly inflight = new Map<string, Promise<string>>();
  private auth: Promise<GoogleAuth> | undefined;

  constructor(auth?: GoogleAuth) {
    if (auth) this.auth = Promise.resolve(auth);
  }

  /** A bearer token whose `aud` is `audience` (for Cloud Run: the target's https origin). */
  async get(audience: string): Promise<string> {
    const pending = this.inflight.get(audience);
    if (pending) return pending;
    const fetching = this.fetch(audience).finally(() => this.inflight.delete(audience));
    this.inflight.set(audience, fetching);
    return fetching;
  }

  private async fetch(audience: string): Promise<string> {
    let client = this.clients.get(audience);
    if (!client) {
      if (this.clients.size >= MAX_AUDIENCES) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
      // google-auth-library loads on the first without-mesh call: a service that only ever calls
      // through the mesh never pays its start-up cost (~45 ms of CPU per process, measured).
      this.auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth());
      client = this.auth.then((auth) => auth.getIdTokenClient(audience));
      this.clients.set(audience, client);
      client.catch(() => this.clients.delete(audience));
    }
    // The client returns its cached token until it is within 5 minutes of expiry, then refetches.
    const headers = await (await client).getRequestHeaders();
    const value = headers.get('authorization');
    if (!value?.startsWith('Bearer ')) throw new Error(`no ID token was issued for audience ${audience}`);
    return value.slice('Bearer '.length);
  }
}
