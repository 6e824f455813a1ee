import { request } from 'node:http';

/** Used for log trace fields when no project can be found (a laptop without gcloud or mesh). */
export const LOCAL_PROJECT_ID = 'local-project';

const DEFAULT_METADATA_HOST = '169.254.169.254';

export interface ProjectIdSource {
  /** Known without any I/O (environment). */
  immediate: string | undefined;
  /** Base URL of the metadata server to ask, when worth asking. */
  metadataBase: string | undefined;
}

/**
 * Where the project id comes from. `GOOGLE_CLOUD_PROJECT` (or the older `GCLOUD_PROJECT`, or
 * `gcp.project_id` in `OTEL_RESOURCE_ATTRIBUTES`) needs no I/O. Otherwise the metadata server is
 * asked — but only where there is one: `GCE_METADATA_HOST`/`GCE_METADATA_IP` (the local mesh's
 * fake) or when exporting to Google (on Cloud Run). A laptop exporting to the local viewer never
 * sends a packet to 169.254.169.254.
 */
export function projectIdSource(env: NodeJS.ProcessEnv, exportsToGoogle: boolean): ProjectIdSource {
  const fromEnv =
    env.GOOGLE_CLOUD_PROJECT?.trim() ||
    env.GCLOUD_PROJECT?.trim() ||
    resourceAttribute(env, 'gcp.project_id');
  if (fromEnv) return { immediate: fromEnv, metadataBase: undefined };
  const host = env.GCE_METADATA_IP?.trim() || env.GCE_METADATA_HOST?.trim();
  if (host) return { immediate: undefined, metadataBase: host.includes('://') ? host : `http://${host}` };
  return {
    immediate: undefined,
    metadataBase: exportsToGoogle ? `http://${DEFAULT_METADATA_HOST}` : undefined,
  };
}

/**
 * `GET /computeMetadata/v1/project/project-id` with a short timeout. Plain node:http on purpose:
 * no proxy variables apply to the metadata server, and the preload does not trace node:http clients.
 */
export function fetchProjectId(metadataBase: string, timeoutMs = 1500): Promise<string | undefined> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL('/computeMetadata/v1/project/project-id', metadataBase);
    } catch {
      resolve(undefined);
      return;
    }
    const req = request(url, { headers: { 'Metadata-Flavor': 'Google' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1024) body += chunk;
      });
      res.on('end', () => {
        // A real (or faithful fake) metadata server always answers with this header.
        const genuine = res.headers['metadata-flavor'] === 'Google';
        const id = body.trim();
        resolve(
          res.statusCode === 200 && genuine && /^[a-z][-a-z0-9.:]{1,98}[a-z0-9]$/.test(id) ? id : undefined,
        );
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function resourceAttribute(env: NodeJS.ProcessEnv, key: string): string | undefined {
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const [k, v] = pair.split('=', 2);
    if (k?.trim() === key && v?.trim()) return safeDecode(v.trim());
  }
  return undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
