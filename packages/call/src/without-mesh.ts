import { getJson, type HopAnswer } from './get-json.ts';
import type { IdTokens } from './id-tokens.ts';
import type { HopContext } from './with-mesh.ts';

/**
 * Without the mesh: the caller needs the target's full run.app URL, fetches an ID token whose
 * audience is that URL, and sends it as a bearer token. Cloud Run checks it, then IAM decides.
 */
export async function callWithoutMesh(
  host: string,
  path: string,
  hop: HopContext,
  idTokens: IdTokens,
): Promise<HopAnswer> {
  const audience = `https://${host}`;
  const token = await idTokens.get(audience);
  return getJson(`${audience}${path}`, {
    headers: { ...hop.headers, authorization: `Bearer ${token}` },
    timeoutMs: hop.timeoutMs,
    dispatcher: hop.dispatcher,
    hop: hop.name,
  });
}

/** The same call with the token left out: Cloud Run refuses it, which is the point of the demo. */
export function callWithoutToken(host: string, path: string, hop: HopContext): Promise<HopAnswer> {
  return getJson(`https://${host}${path}`, {
    headers: hop.headers,
    timeoutMs: hop.timeoutMs,
    dispatcher: hop.dispatcher,
    hop: hop.name,
  });
}
