import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { findService, type RouteFile, type ServiceSpec, type Topology } from '@meshapps/mesh-config';
import { runAppHost, serviceAccountEmail } from '../../src/cloud-names.ts';
import { CloudRunFront } from '../../src/cloud-run-front.ts';
import type { Schedule } from '../../src/hop-relay.ts';
import { TokenIssuer } from '../../src/identity.ts';
import type { RetryBuffers } from '../../src/retry-buffers.ts';
import { Router } from '../../src/router.ts';
import { type HopEvent, startSidecar } from '../../src/sidecar.ts';

export type Stub = (req: IncomingMessage, res: ServerResponse) => void;

export interface MiniMesh {
  /** GET (or any method) through `caller`'s sidecar, as the app would through HTTP_PROXY. */
  call: (
    caller: string,
    url: string,
    init?: { method?: string; body?: string; headers?: Record<string, string> },
  ) => Promise<{ status: number; body: string }>;
  /** The egress proxy port of a caller's sidecar. */
  port: (caller: string) => number;
  hops: HopEvent[];
  close: () => Promise<void>;
}

/**
 * The real sidecars, Router and Cloud Run fronts of the local mesh, with stub apps instead of
 * processes: fast enough to send a thousand requests per test.
 */
export async function startMiniMesh(opts: {
  topology: Topology;
  routes: RouteFile[];
  apps: Record<string, Stub>;
  /** Services that get a sidecar (callers). */
  callers: string[];
  random: () => number;
  schedule: Schedule;
  /** Where the sidecars keep retry bodies (default: the process's own budget). */
  retryBuffers?: RetryBuffers;
}): Promise<MiniMesh> {
  const issuer = new TokenIssuer();
  const servers: Server[] = [];
  const ports = new Map<string, number>();
  for (const [name, stub] of Object.entries(opts.apps)) {
    const server = createServer(stub);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    ports.set(name, (server.address() as AddressInfo).port);
  }
  const spec = (name: string) => findService(opts.topology, name) as ServiceSpec;
  const email = (name: string) => serviceAccountEmail(spec(name).serviceAccount);
  const fronts = new Map(
    Object.keys(opts.apps).map((name) => [
      name,
      new CloudRunFront({
        spec: spec(name),
        invokers: new Set(spec(name).invokers.map(email)),
        audiences: [`https://${runAppHost(name)}`],
        issuer,
        appPort: () => ports.get(name),
      }),
    ]),
  );
  const router = new Router(opts.routes, opts.random);
  const hops: HopEvent[] = [];
  const sidecars = new Map<string, { port: number; close: () => Promise<void> }>();
  for (const caller of opts.callers) {
    sidecars.set(
      caller,
      await startSidecar({
        caller: spec(caller),
        callerEmail: email(caller),
        meshDomain: opts.topology.mesh.domain,
        router,
        fronts,
        runApp: { server: createHttpsServer(), hosts: new Set() },
        issuer,
        onHop: (e) => hops.push(e),
        random: opts.random,
        schedule: opts.schedule,
        ...(opts.retryBuffers ? { retryBuffers: opts.retryBuffers } : {}),
      }),
    );
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  return {
    hops,
    port: (caller) => (sidecars.get(caller) as { port: number }).port,
    call: (caller, url, init = {}) =>
      viaProxy((sidecars.get(caller) as { port: number }).port, url, agent, init),
    close: async () => {
      agent.destroy();
      for (const s of sidecars.values()) await s.close();
      for (const f of fronts.values()) f.close();
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

/** An absolute-form request to an egress proxy: what HTTP_PROXY makes of `http://host/path`. */
export function viaProxy(
  port: number,
  url: string,
  agent: Agent,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: init.method ?? 'GET',
        path: url,
        headers: { ...init.headers, host: target.host },
        agent,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A seeded PRNG (mulberry32): random-looking, the same every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Route time at `factor()` speed: a 2 s injected delay takes 2 s × factor of real time. */
export function compressedTime(factor: () => number): Schedule {
  return (ms, fn) => {
    const timer = setTimeout(fn, ms * factor());
    return () => clearTimeout(timer);
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
