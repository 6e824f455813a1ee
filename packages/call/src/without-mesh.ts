import { HopError } from '@meshapps/service';
import { getJson, type HopAnswer, type HopContext } from './get-json.ts';
import type { IdTokens } from './id-tokens.ts';

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
  const started = performance.now();
  const token = await tokenWithin(idTokens, audience, hop);
  return getJson(`${audience}${path}`, {
    ...hop,
    headers: { ...hop.headers, authorization: `Bearer ${token}` },
    timeoutMs: Math.max(1, hop.timeoutMs - Math.round(performance.now() - started)),
  });
}

/**
 * Fetching the token is part of the hop, so the hop's deadline bounds it too: on Cloud Run
 * (K_SERVICE set) gcp-metadata has no timeout of its own, and a stuck metadata server would
 * otherwise hold the request past every caller's deadline. The fetch itself carries on (single
 * flight), so the next call can still use its token.
 */
async function tokenWithin(idTokens: IdTokens, audience: string, hop: HopContext): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HopError(504, `no ID token within ${hop.timeoutMs} ms`, { hop: hop.name })),
      hop.timeoutMs,
    );
  });
  try {
    return await Promise.race([idTokens.get(audience), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The same call with the token left out: Cloud Run refuses it, which is the point of the demo. */
export function callWithoutToken(host: string, path: string, hop: HopContext): Promise<HopAnswer> {
  return getJson(`https://${host}${path}`, hop);
}
