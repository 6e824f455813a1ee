import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AppProcess,
  Cleanup,
  type Dispatcher,
  type ForwardingProxy,
  getGlobalDispatcher,
  type MetadataServer,
  runAppHost,
  spawnApp,
  startForwardingProxy,
  startMetadataServer,
} from '@meshapps/test-fixtures';

/**
 * apps/client/src/main.ts as Cloud Run and the local mesh run it: its own process, told only by
 * standard environment where everything is (principle 3). Around it:
 * - a sidecar stand-in that HTTP_PROXY and HTTPS_PROXY point at: it routes mesh hostnames to
 *   loopback ports (`routes`, which a test may change) and tunnels run.app hosts (`tunnels`);
 * - a metadata server stand-in (GCE_METADATA_HOST): project number, region, ID tokens;
 * - the other apps of the chain, each its own process too (proxy, target…), under their names.
 */
export const MESH_DOMAIN = 'meshapps.internal';
export const mesh = (name: string) => `${name}.${MESH_DOMAIN}`;

export interface World {
  client: AppProcess;
  /** The other services, by name. */
  apps: Record<string, AppProcess>;
  sidecar: ForwardingProxy;
  metadata: MetadataServer;
  /** Mesh hostname → loopback port: every service of the world, and whatever a test adds. */
  routes: Record<string, number>;
  /** GET on the client, the raw path sent as given. */
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  /** Every line every app printed. */
  lines(): string[];
  /** Requests the client answered before the test began (the without-mesh warm-up). */
  warmUps: number;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Services besides the client: a name starting with "proxy" runs apps/proxy, any other apps/target. */
  services?: readonly string[];
  /**
   * run.app hostname → loopback port of a TLS server, with the CA that signed its certificate.
   * The server must answer GET / with a token 200 `{"message": …}`: WARM_UP is sent there too.
   */
  runApp?: { tunnels: Record<string, number>; ca: string };
}

const appOf = (service: string) => (service.startsWith('proxy') ? 'proxy' : 'target');

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const cleanup = new Cleanup();
  try {
    const routes: Record<string, number> = {};
    const tunnels = opts.runApp
      ? { [WARM_UP]: Object.values(opts.runApp.tunnels)[0] as number, ...opts.runApp.tunnels }
      : {};
    const sidecar = await startForwardingProxy({ routes, tunnels });
    cleanup.add(() => sidecar.close());
    const metadata = await startMetadataServer();
    cleanup.add(() => metadata.close());
    const home = mkdtempSync(join(tmpdir(), 'client-test-home-'));
    cleanup.add(() => rmSync(home, { recursive: true, force: true }));
    const env = (service: string): Record<string, string> => {
      const proxy = sidecar.url;
      const noProxy = '127.0.0.1,localhost';
      const e: Record<string, string> = {
        HOME: home,
        K_SERVICE: service,
        K_REVISION: `${service}-00001-tst`,
        GCE_METADATA_HOST: metadata.host,
        HTTP_PROXY: proxy,
        HTTPS_PROXY: proxy,
        NO_PROXY: noProxy,
        http_proxy: proxy,
        https_proxy: proxy,
        no_proxy: noProxy,
        LISTEN_ADDRESS: '127.0.0.1',
      };
      if (opts.runApp) {
        const caFile = join(home, 'run-app-ca.pem');
        writeFileSync(caFile, opts.runApp.ca);
        e.NODE_EXTRA_CA_CERTS = caFile;
      }
      return e;
    };
    const names = opts.services ?? [];
    const started = await Promise.all([
      spawnApp('apps/client/src/main.ts', env('client')),
      ...names.map((name) => spawnApp(`apps/${appOf(name)}/src/main.ts`, env(name))),
    ]);
    for (const app of started) cleanup.add(() => app.stop());
    const [client, ...others] = started as [AppProcess, ...AppProcess[]];
    const apps: Record<string, AppProcess> = {};
    for (const [i, name] of names.entries()) {
      apps[name] = others[i] as AppProcess;
      routes[mesh(name)] = (others[i] as AppProcess).port;
    }
    routes[mesh('client')] = client.port;
    const base = `http://127.0.0.1:${client.port}`;
    const warmUps = opts.runApp ? await warmUp(base) : 0;
    return {
      client,
      apps,
      sidecar,
      metadata,
      routes,
      get: (path, headers) => get(base, path, headers),
      lines: () => started.flatMap((a) => a.lines),
      warmUps,
      close: () => cleanup.run(),
    };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

/** A run.app host of this project that the tests themselves never call. */
export const WARM_UP = runAppHost('warm-up');

/**
 * The first without-mesh call loads google-auth-library and asks the metadata server for the
 * project: tens of ms of CPU, but seconds on a loaded machine, which can spend the hop's whole
 * 5 s budget (a 504). The world makes that first call itself, to a host of its own, until it
 * answers 200 — so the tests' own first calls are first calls to their audience, not to the library.
 */
async function warmUp(base: string): Promise<number> {
  const end = performance.now() + 60_000;
  for (let sent = 1; ; sent++) {
    const res = await get(base, `/call-with-authheader/${WARM_UP}`);
    if (res.status === 200) return sent;
    if (performance.now() > end) throw new Error(`the without-mesh warm-up never answered 200: ${res.text}`);
  }
}

export interface Answer {
  status: number;
  text: string;
  body: any;
}

/** GETs a raw path (sent exactly as given: no URL normalisation) and parses the JSON answer. */
export async function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  dispatcher?: Dispatcher,
): Promise<Answer> {
  // Dispatcher#request sends `path` as is; the top-level request() would normalise it as a URL.
  const res = await (dispatcher ?? getGlobalDispatcher()).request({
    origin: base,
    path,
    method: 'GET',
    headers,
  });
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, text, body };
}
