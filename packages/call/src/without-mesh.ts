import { HopError } from '@meshapps/service';
import { Deadline, raceDeadline } from './deadline.ts';
import { getJson, type HopAnswer, type HopContext } from './get-json.ts';
import type { IdTokens } from './id-tokens.ts';

/**
 * Without the mesh, each caller does itself what the sidecar does in with-mesh.ts: know the
 * target's run.app URL, get an ID token for it, send it, and bound all of that by the hop's time.
 * Cloud Run checks the token (401), then IAM `run.invoker` decides (403).
 */
export async function callWithoutMesh(
  host: string,
  path: string,
  hop: HopContext,
  idTokens: IdTokens,
): Promise<HopAnswer> {
  // The token's audience is the target's run.app origin: that is what Cloud Run accepts.
  const audience = `https://${host}`;
  const deadline = Deadline.after(hop.timeoutMs);

  // An ID token from the metadata server via google-auth-library: its IdTokenClient (one per
  // audience) caches the token and refetches it 5 minutes before expiry; IdTokens (id-tokens.ts)
  // keeps those clients and makes a burst of first calls share one fetch. The fetch is part of the
  // hop, so the hop's deadline bounds it too (gcp-metadata has no timeout of its own on Cloud Run).
  const fetching = idTokens.get(audience).catch((err: unknown) => {
    throw new HopError(500, err instanceof Error ? err.message : String(err), { hop: hop.name });
  });
  const token = await raceDeadline(
    fetching,
    hop.timeoutMs,
    () => new HopError(504, `no ID token within ${hop.timeoutMs} ms`, { hop: hop.name }),
  );

  // The token as a bearer header, and the request in what is left of the deadline. getJson maps
  // the answer: Cloud Run's 401/403 and other 4xx/5xx keep their status, a refused connection is
  // 503, no answer in time 504, anything but {"message": …} 502.
  return getJson(`${audience}${path}`, {
    ...hop,
    headers: { ...hop.headers, authorization: `Bearer ${token}` },
    timeoutMs: Math.max(1, deadline.remainingMs()),
  });
}

/** The same call with the token left out: Cloud Run refuses it, which is the point of the demo. */
export function callWithoutToken(host: string, path: string, hop: HopContext): Promise<HopAnswer> {
  return getJson(`https://${host}${path}`, hop);
}
