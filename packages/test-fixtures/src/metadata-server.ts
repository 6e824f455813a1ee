import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fakeIdToken } from './jwt.ts';
import { closeHttp, listen } from './servers.ts';

/**
 * A stand-in for the GCE/Cloud Run metadata server, enough for google-auth-library's Compute
 * client to mint ID tokens: it demands `Metadata-Flavor: Google` (403 otherwise) and sends it
 * back on every answer, as the real one does (gcp-metadata refuses answers without it).
 */
export interface MetadataServer {
  /** `127.0.0.1:<port>`, for GCE_METADATA_HOST. */
  host: string;
  /** Audiences of every identity request, in order. */
  identityRequests: string[];
  /** Every ID token it handed out, in order (so a test can look for them where they must not be). */
  issued: string[];
  /** Requests refused for a missing Metadata-Flavor header. */
  refused: number;
  /** Holds identity answers this long (a slow metadata server). */
  identityDelayMs: number;
  close(): Promise<void>;
}

/** This project's run.app hosts, as the stub's project number and region make them. */
export const TEST_PROJECT_NUMBER = '123456789012';
export const TEST_REGION = 'asia-northeast1';
export const runAppHost = (service: string) => `${service}-${TEST_PROJECT_NUMBER}.${TEST_REGION}.run.app`;

export async function startMetadataServer(): Promise<MetadataServer> {
  const state = { identityRequests: [] as string[], issued: [] as string[], refused: 0, identityDelayMs: 0 };
  const token = (audience: string) => {
    const t = fakeIdToken(audience);
    state.issued.push(t);
    return t;
  };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': 'application/text' });
      res.end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google') {
      state.refused++;
      return send(403, 'Missing Metadata-Flavor:Google header.');
    }
    switch (url.pathname) {
      case '/computeMetadata/v1/instance':
      case '/computeMetadata/v1/instance/':
        return send(200, '');
      case '/computeMetadata/v1/project/project-id':
        return send(200, 'meshapps-test');
      case '/computeMetadata/v1/project/numeric-project-id':
        return send(200, TEST_PROJECT_NUMBER);
      case '/computeMetadata/v1/instance/region':
        return send(200, `projects/${TEST_PROJECT_NUMBER}/regions/${TEST_REGION}`);
      case '/computeMetadata/v1/instance/service-accounts/default/identity': {
        const audience = url.searchParams.get('audience') ?? '';
        state.identityRequests.push(audience);
        if (!audience) return send(400, 'non-empty audience parameter required');
        if (!state.identityDelayMs) return send(200, token(audience));
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(200, token(audience));
        }, state.identityDelayMs);
        timers.add(timer);
        return;
      }
      default:
        return send(404, 'not found');
    }
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    get identityRequests() {
      return state.identityRequests;
    },
    get issued() {
      return state.issued;
    },
    get refused() {
      return state.refused;
    },
    get identityDelayMs() {
      return state.identityDelayMs;
    },
    set identityDelayMs(ms: number) {
      state.identityDelayMs = ms;
    },
    close: () => {
      for (const t of timers) clearTimeout(t);
      return closeHttp(server);
    },
  };
}

/**
 * Points google-auth-library at the stub for this process, and returns a function that puts the
 * environment back. No credentials file or gcloud config can be found (empty HOME), detection
 * is skipped (`assume-present`), and K_SERVICE is unset: with it, gcp-metadata drops its timeout.
 */
export function useMetadataServer(host: string): () => void {
  const home = mkdtempSync(path.join(tmpdir(), 'meshapps-home-'));
  const set: Record<string, string | undefined> = {
    GCE_METADATA_HOST: host,
    GCE_METADATA_IP: undefined,
    METADATA_SERVER_DETECTION: 'assume-present',
    GOOGLE_CLOUD_PROJECT: 'meshapps-test',
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: undefined,
    HOME: home,
    K_SERVICE: undefined,
    CLOUD_RUN_JOB: undefined,
    FUNCTION_NAME: undefined,
    HTTP_PROXY: undefined,
    http_proxy: undefined,
    HTTPS_PROXY: undefined,
    https_proxy: undefined,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: undefined,
  };
  const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(set);
  return () => {
    apply(saved);
    rmSync(home, { recursive: true, force: true });
  };
}
