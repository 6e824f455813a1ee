/**
 * What the instrumentations leave out or name: health checks, calls to the metadata server and
 * token endpoints (plumbing of credentials, not hops of the chain), and the name of a hop's span.
 */

/**
 * Cloud Run and the local mesh probe this constantly: spans for it would bury the real ones.
 * The path up to the first `?`, as @meshapps/request-target reads origin-form; any other form is
 * never a health check here, so it is traced (decision 075 says why no full reader).
 */
export function isHealthCheck(url: string | undefined): boolean {
  return (url ?? '').split('?')[0] === '/healthz';
}

const TOKEN_HOSTS: ReadonlySet<string> = new Set([
  '169.254.169.254',
  'metadata.google.internal',
  'metadata.google.internal.',
  'oauth2.googleapis.com',
  'sts.googleapis.com',
  'iamcredentials.googleapis.com',
]);

/**
 * Whether an outgoing call's origin is plumbing. A configured metadata server (the local mesh's
 * fake) is matched as host:port: matching only its hostname would also hide every other
 * loopback call, e.g. hops through a local sidecar proxy.
 */
export function plumbingOrigins(env: NodeJS.ProcessEnv): (origin: string | URL | undefined) => boolean {
  const metadataHosts = new Set<string>();
  for (const raw of [env.GCE_METADATA_HOST, env.GCE_METADATA_IP]) {
    const url = raw?.trim() ? urlOf(raw.includes('://') ? raw : `http://${raw}`) : undefined;
    if (url) metadataHosts.add(url.host.toLowerCase());
  }
  return (origin) => {
    const url = urlOf(origin);
    return (
      url !== undefined &&
      (TOKEN_HOSTS.has(url.hostname.toLowerCase()) || metadataHosts.has(url.host.toLowerCase()))
    );
  };
}

/** "GET" alone hides which hop this is; the host is the hop (through a proxy, the path is absolute). */
export function hopName(request: { method: string; origin: string | URL; path: string }): string {
  const url = urlOf(request.path, request.origin);
  return url ? `${request.method} ${url.host}` : request.method;
}

function urlOf(raw: string | URL | undefined, base?: string | URL): URL | undefined {
  try {
    return new URL(String(raw), base === undefined ? undefined : String(base));
  } catch {
    return undefined;
  }
}
