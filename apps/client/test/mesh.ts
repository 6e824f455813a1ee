import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChainOptions, chainRoutes } from '@meshapps/call';
import { createLogger, createService } from '@meshapps/service';
import {
  Cleanup,
  type Dispatcher,
  getGlobalDispatcher,
  mappedAgent,
} from '../../../packages/call/test/helpers/index.ts';

/**
 * Services wired exactly as apps/client, apps/proxy (createService + chainRoutes) and apps/target
 * (createService + `GET /`) wire them, on real loopback sockets. Every service records the headers
 * it received and keeps its log lines.
 */
export type Service = Awaited<ReturnType<typeof createService>>;

export interface Started {
  name: string;
  app: Service;
  port: number;
  url: string;
  /** Every request it received (raw URL and headers), in order. */
  seen: { url: string; headers: IncomingHttpHeaders }[];
  /** Its log, one JSON line per entry. */
  logs: string[];
}

async function start(name: string, routes: (app: Service) => Promise<void> | void): Promise<Started> {
  const logs: string[] = [];
  const seen: Started['seen'] = [];
  const logger = createLogger({
    service: name,
    destination: { write: (line: string) => void logs.push(line) },
  });
  const app = await createService({
    logger,
    routes: async (a) => {
      a.addHook('onRequest', async (req) => {
        seen.push({ url: req.raw.url ?? '', headers: req.headers });
      });
      await routes(a);
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { name, app, port, url: `http://127.0.0.1:${port}`, seen, logs };
}

/** apps/client and apps/proxy: the chain routes under a service name. */
export function startChainService(name: string, opts: Omit<ChainOptions, 'service'>): Promise<Started> {
  return start(name, async (app) => {
    await app.register(chainRoutes, { service: name, ...opts });
  });
}

/** apps/target: answers `{"message": "<name>"}` and calls no one. */
export function startTarget(name: string): Promise<Started> {
  return start(name, (app) => {
    app.get('/', async () => ({ message: name }));
  });
}

export const MESH_DOMAIN = 'meshapps.internal';
export const mesh = (name: string) => `${name}.${MESH_DOMAIN}`;

export interface Mesh {
  services: Record<string, Started>;
  /** Mesh hostname → loopback port; add entries for stubs. */
  ports: Record<string, number>;
  /** Mesh hostnames dialled, in order. */
  connects: string[];
  cleanup: Cleanup;
}

/**
 * A small mesh: `callers` run the chain routes, `targets` answer their name, and every mesh
 * hostname `<name>.meshapps.internal` reaches its service through one hostname-mapping Agent.
 */
export async function startMesh(
  callers: readonly string[],
  targets: readonly string[],
  opts: Omit<ChainOptions, 'service' | 'dispatcher'> = {},
): Promise<Mesh> {
  const cleanup = new Cleanup();
  const ports: Record<string, number> = {};
  const { agent, connects } = mappedAgent(ports);
  cleanup.add(() => agent.destroy());
  const services: Record<string, Started> = {};
  for (const name of callers) services[name] = await startChainService(name, { ...opts, dispatcher: agent });
  for (const name of targets) services[name] = await startTarget(name);
  for (const s of Object.values(services)) {
    ports[mesh(s.name)] = s.port;
    cleanup.add(() => s.app.close());
  }
  return { services, ports, connects, cleanup };
}

export interface Answer {
  status: number;
  text: string;
  body: any;
  ms: number;
}

/** GETs a raw path (sent exactly as given: no URL normalisation) and parses the JSON answer. */
export async function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  dispatcher?: Dispatcher,
): Promise<Answer> {
  const started = performance.now();
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
  return { status: res.statusCode, text, body, ms: performance.now() - started };
}
