import { ROUTES_DIR, TOPOLOGY_FILE, type Topology } from '@meshapps/mesh-config';
import { tracingChoices } from './app-environment.ts';
import { Cleanup } from './cleanup.ts';
import { descriptors } from './descriptor-budget.ts';
import { bindEntries } from './entries.ts';
import { TokenIssuer } from './identity.ts';
import { type Listener, listenerOf } from './listener.ts';
import { LiveRouter } from './live-router.ts';
import { readConfig } from './read-config.ts';
import { watchRoutes } from './route-watch.ts';
import { startServiceEnvironments } from './service-environments.ts';
import type { HopEvent } from './sidecar.ts';
import { startApps } from './start-apps.ts';
import { startCollector } from './start-collector.ts';
import { startFronts } from './start-fronts.ts';
import { removeStaleStateDirs, StateDir } from './state-dir.ts';
import { DEFAULT_RESTARTS, type LogLine, type RestartPolicy, type ServiceProcess } from './supervisor.ts';

export type { Listener } from './listener.ts';

export interface LocalMeshOptions {
  topologyFile?: string;
  routesDir?: string;
  /** Interface for the public listeners (load balancer, participant entry). */
  host?: string;
  /** The load balancer stand-in; 0 picks a free port. */
  lbPort?: number;
  /** Where the participant calls `entry: participant` services (the without-mesh client). */
  participantPort?: number;
  /** The local trace viewer and OTLP collector; 0 picks a free port. */
  tracePort?: number;
  /** Extra environment for every app (e.g. OTEL_TRACES_SAMPLER). */
  appEnv?: Record<string, string>;
  /** App settings for one run, over the topology's `env:` (`pnpm start -- --env svc:NAME=value`). */
  envOverrides?: Record<string, Record<string, string>>;
  tokenLifetimeSeconds?: number;
  random?: () => number;
  /** When a service that died gets a new instance (tests hold the wait). */
  restarts?: RestartPolicy;
  onAppLog?: (line: LogLine) => void;
  onHop?: (event: HopEvent) => void;
  /** A metadata server issued an ID token (the token itself is never passed on). */
  onIdentity?: (service: string, audience: string) => void;
  onProgress?: (message: string) => void;
}

export interface LocalMesh {
  topology: Topology;
  loadBalancerUrl: string;
  participantUrl: string | undefined;
  traceViewerUrl: string;
  /** The mesh hostnames the routes loaded at start serve (edits while running may change them). */
  hostnames: string[];
  /** The emulated https://<service>-<number>.<region>.run.app host of each service. */
  runAppHosts: Record<string, string>;
  processes: ServiceProcess[];
  /** Every listener: entries, trace collector, egress proxies, metadata servers, apps. */
  listeners: Listener[];
  /** The trace collector runs in a process of its own. */
  readonly traceCollectorPid: number;
  /** Drains the entries (in-flight requests finish, up to 10 s), then stops apps and the rest. */
  stop: () => Promise<void>;
}

/**
 * Starts the whole demo: every topology service as a process behind emulated Cloud Run + CSM.
 * Each stage pushes its own undo as it starts things, so a failure anywhere stops what started.
 * What can fail for reasons of the participant's machine — the temporary folder, the three public
 * ports — is tried first, before a single process starts.
 */
export async function startLocalMesh(opts: LocalMeshOptions = {}): Promise<LocalMesh> {
  const progress = opts.onProgress ?? (() => {});
  const files = { topologyFile: opts.topologyFile ?? TOPOLOGY_FILE, routesDir: opts.routesDir ?? ROUTES_DIR };
  const config = readConfig(files, opts.envOverrides ?? {}, progress);
  const { topology } = config;

  // Listeners at their connection cap, or the process out of descriptors, say so with the rest.
  descriptors.reportTo(progress);
  const cleanup = new Cleanup();
  const stop = () => cleanup.run();
  const listeners: Listener[] = [];
  try {
    // A mesh that was SIGKILLed could not remove its folder: the next start does, and says so.
    for (const dir of removeStaleStateDirs())
      progress(`removed ${dir}: left by a local mesh that did not stop (killed, or crashed)`);
    const state = StateDir.create();
    cleanup.push(() => state.remove());
    const issuer = new TokenIssuer(
      opts.tokenLifetimeSeconds ? { lifetimeSeconds: opts.tokenLifetimeSeconds } : {},
    );
    const fronts = await startFronts(topology, issuer, cleanup);
    const entries = await bindEntries(
      {
        host: opts.host ?? '127.0.0.1',
        lbPort: opts.lbPort ?? 8080,
        participantPort: opts.participantPort ?? 8081,
        entries: config.entries,
        fronts: fronts.fronts,
        progress,
      },
      listeners,
      cleanup,
    );
    const { viewer, telemetryEnv } = await startCollector(opts.tracePort ?? 16686, progress, cleanup);
    listeners.push(listenerOf('trace collector', viewer.url));
    const ownChoices = tracingChoices();
    if (Object.keys(ownChoices).length > 0)
      progress(`passing on to every app: ${Object.keys(ownChoices).join(', ')}`);

    // Routes apply while the mesh runs: every sidecar reads the live table per request.
    const router = new LiveRouter(config.routes, opts.random);
    cleanup.push(watchRoutes({ ...files, topology, router, say: progress }).close);

    const environments = await startServiceEnvironments(
      {
        topology,
        issuer,
        router,
        fronts,
        recordSpans: (spans) => viewer.record(spans),
        random: opts.random,
        onHop: opts.onHop,
        onIdentity: opts.onIdentity,
      },
      listeners,
      cleanup,
    );
    const processes = await startApps(
      {
        topology,
        environments,
        caPem: fronts.caPem,
        state,
        extraEnv: (service) => ({
          ...telemetryEnv,
          ...ownChoices,
          ...opts.appEnv,
          ...config.settings.get(service),
        }),
        appPorts: fronts.appPorts,
        restarts: opts.restarts ?? DEFAULT_RESTARTS,
        onAppLog: opts.onAppLog ?? (() => {}),
        progress,
      },
      listeners,
      cleanup,
    );
    entries.serve();
    return {
      topology,
      loadBalancerUrl: entries.loadBalancerUrl,
      participantUrl: entries.participantUrl,
      traceViewerUrl: viewer.url,
      hostnames: config.routes.flatMap((r) => r.route.hostnames),
      runAppHosts: fronts.runAppHosts,
      processes,
      listeners,
      get traceCollectorPid() {
        return viewer.pid;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
