import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileCacheEnv, type LocalMesh, startLocalMesh } from '@meshapps/local-mesh';
import { type BenchApp, startApp } from './apps.ts';
import { childrenByService } from './proc-stats.ts';

/** What the mesh scenarios call: the mesh's own apps, plus the same apps wired directly. */
export interface Stack {
  mesh: LocalMesh;
  /** From startLocalMesh() to every service answering /healthz (what `pnpm start` waits for). */
  readyMs: number;
  /** Node's compile cache had entries before this start (any start after the first one). */
  warmCache: boolean;
  /** The mesh's client app, called on its own port (not through the load balancer's front). */
  clientUrl: string;
  /** The same client app, whose calls go straight to the next app's port: no sidecar, no front. */
  direct: { client: BenchApp; proxy: BenchApp };
  stop(): Promise<void>;
}

/** The bench's own process, where startLocalMesh runs the LB stand-in, every sidecar and front. */
export const MESH_PROCESS = 'local mesh process (sidecars, fronts, LB)';

/** Every process of the stack by a readable name (Linux /proc; empty elsewhere). */
export function stackProcesses(stack: Stack): Map<string, number> {
  const names = new Map<string, string>();
  for (const p of stack.mesh.processes) names.set(`${p.spec.name}:${p.spec.port}`, p.spec.name);
  names.set(`client:${stack.direct.client.port}`, 'client (direct)');
  names.set(`proxy:${stack.direct.proxy.port}`, 'proxy (direct)');
  const pids = new Map<string, number>();
  for (const [key, pid] of childrenByService()) pids.set(names.get(key) ?? key, pid);
  pids.set(MESH_PROCESS, process.pid);
  // Its own process since decision 011: every scenario's spans, direct ones included, end here.
  pids.set('trace collector', stack.mesh.traceCollectorPid);
  return pids;
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
const DIRECT_DIAL = fileURLToPath(new URL('./direct-dial.ts', import.meta.url));

export async function startStack(): Promise<Stack> {
  const cacheEnv = compileCacheEnv();
  const cacheDir = cacheEnv.NODE_COMPILE_CACHE;
  const warmCache = cacheDir !== undefined && existsSync(cacheDir) && readdirSync(cacheDir).length > 0;
  const started = performance.now();
  // Exactly what `pnpm start` runs (packages/local-mesh/src/cli.ts), minus the fixed ports.
  const mesh = await startLocalMesh({ lbPort: 0, participantPort: 0, tracePort: 0, appEnv: cacheEnv });
  const readyMs = performance.now() - started;
  try {
    const spec = (name: string) => {
      const p = mesh.processes.find((s) => s.spec.name === name);
      if (!p) throw new Error(`the topology has no ${name} service`);
      return p.spec;
    };
    // Same code, same arguments and environment as the mesh's own process (telemetry included),
    // but no proxy variables: the direct-dial preload connects mesh hostnames to app ports.
    const directApp = (name: string, dial: Record<string, number>) => {
      const s = spec(name);
      const env: Record<string, string> = {
        ...s.env,
        BENCH_DIAL: Object.entries(dial)
          .map(([h, p]) => `${h}=${p}`)
          .join(','),
      };
      for (const v of PROXY_VARIABLES) delete env[v];
      const entry = s.args[s.args.length - 1] as string;
      return startApp({
        name: `${name} (direct)`,
        args: [...s.args.slice(0, -1), '--import', DIRECT_DIAL, entry],
        cwd: s.cwd,
        env,
      });
    };
    const domain = mesh.topology.mesh.domain;
    const proxy = await directApp('proxy', { [`target1.${domain}`]: spec('target1').port });
    const client = await directApp('client', {
      [`target2.${domain}`]: spec('target2').port,
      [`proxy.${domain}`]: proxy.port,
    }).catch(async (err: unknown) => {
      await proxy.stop();
      throw err;
    });
    return {
      mesh,
      readyMs,
      warmCache,
      clientUrl: `http://127.0.0.1:${spec('client').port}`,
      direct: { client, proxy },
      stop: async () => {
        await Promise.all([client.stop(), proxy.stop()]);
        await mesh.stop();
      },
    };
  } catch (err) {
    await mesh.stop();
    throw err;
  }
}
