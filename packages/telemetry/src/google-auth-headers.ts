import type { AuthClient } from 'google-auth-library';

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * OTLP exporter `headers` factory: a fresh `Authorization` (and quota project) header for every
 * export, from Application Default Credentials — on Cloud Run the service account via the
 * metadata server. google-auth-library caches and refreshes the access token; env-only OTLP
 * configuration can't, which is why the preload is code. The header value is never logged.
 */
export function googleAuthHeaders(): () => Promise<Record<string, string>> {
  let client: Promise<AuthClient> | undefined;
  return async () => {
    if (!client) {
      // Loaded on first export, so start-up does not pay for google-auth-library.
      client = import('google-auth-library').then(({ GoogleAuth }) =>
        new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }).getClient(),
      );
      client.catch(() => {
        client = undefined; // no credentials yet: try again on the next export
      });
    }
    const headers = await (await client).getRequestHeaders();
    return Object.fromEntries(headers.entries());
  };
}
