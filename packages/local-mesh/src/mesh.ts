import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigInvalidError,
  envNameProblem,
  findService,
  loadTopology,
  REPO_ROOT,
  ROUTES_DIR,
  routeFilesIn,
  type ServiceSpec,
  TOPOLOGY_FILE,
  type Topology,
} from '@meshapps/mesh-config';
import { startTraceCollector } from '@meshapps/trace-viewer';
import { runAppHost, serviceAccountEmail } from './cloud-names.ts';
import { CloudRunFront, type Source } from './cloud-run-front.ts';
import { closeWhenDraining, drainServer } from './drain.ts';
import { answerClientErrors, guarded, refuseConnect } from './guard.ts';
import { TokenIssuer } from './identity.ts';
import { checkMeshRoutes, LiveRouter } from './live-router.ts';
import { startMetadataServer } from './metadata-server.ts';
import { freePort } from './ports.ts';
import { resilienceNotices } from './resilience.ts';
import { watchRoutes } from './route-watch.ts';
import { createRunAppServer } from './run-app-server.ts';
import { makeRunAppTls } from './run-app-tls.ts';
import { type HopEvent, startSidecar } from './sidecar.ts';
import { DEFAULT_RESTARTS, type LogLine, type RestartPolicy, ServiceProcess } from './supervisor.ts';
import { serverOptions } from './timeouts.ts';

/** Where every app listens locally: loopback only, so the network reaches nothing past the fronts. */
export const LOCAL_LISTEN_ADDRESS = '127.0.0.1';

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

/** One socket the local mesh (or an app it runs) listens on. */
export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface LocalMesh {
  topology: Topology;
  loadBalancerUrl: string;
  participantUrl: string | undefined;
  traceViewerUrl: string;
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

/** Starts the whole demo: every topology service as a process behind emulated Cloud Run + CSM. */
export async function startLocalMesh(opts: LocalMeshOptions = {}): Promise<LocalMesh> {
  const progress = opts.onProgress ?? (() => {});
  const topologyFile = opts.topologyFile ?? TOPOLOGY_FILE;
  const routesDir = opts.routesDir ?? ROUTES_DIR;
  const topology = loadTopology(topologyFile);
  const routes = checkMeshRoutes(readRouteFiles(routesDir), topology);
  const entries = entryServices(topology);
  progress(
    `topology: ${topology.services.length} services; routes: ${routes.length} (${routes.map((r) => r.route.name).join(', ')})`,
  );
  for (const notice of resilienceNotices(routes)) progress(notice);

  const settings = appSettings(topology, opts.envOverrides ?? {}, progress);

  const cleanup: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const fn of cleanup.reverse()) await fn();
  };
  try {
    const state = mkdtempSync(join(tmpdir(), 'meshapps-'));
    cleanup.push(() => rmSync(state, { recursive: true, force: true }));
    const issuer = new TokenIssuer(
      opts.tokenLifetimeSeconds ? { lifetimeSeconds: opts.tokenLifetimeSeconds } : {},
    );
    const tls = await makeRunAppTls();
    const caFile = join(state, 'run-app-ca.pem');
    writeFileSync(caFile, tls.caPem);

    const emailOf = (name: string) =>
      serviceAccountEmail((findService(topology, name) as ServiceSpec).serviceAccount);
    const appPorts = new Map<string, number>();
    const fronts = new Map<string, CloudRunFront>();
    const runAppHosts: Record<string, string> = {};
    for (const spec of topology.services) {
      runAppHosts[spec.name] = runAppHost(spec.name);
      const front = new CloudRunFront({
        spec,
        invokers: new Set(spec.invokers.map(emailOf)),
        // The run.app URL is always a valid audience; custom audiences come from the topology.
        audiences: [`https://${runAppHost(spec.name)}`, ...(spec.customAudiences ?? [])],
        issuer,
        appPort: () => appPorts.get(spec.name),
      });
      fronts.set(spec.name, front);
      cleanup.push(() => front.close());
    }

    // https://<service>-<number>.<region>.run.app, reached through the egress proxies' CONNECT.
    const byRunAppHost = new Map(
      topology.services.map((s) => [runAppHost(s.name), fronts.get(s.name) as CloudRunFront]),
    );
    const runAppServer = createRunAppServer(tls, byRunAppHost);
    cleanup.push(() => runAppServer.closeAllConnections());

    // Every service exports spans here, as they would to Cloud Trace; the sidecars add theirs.
    // The collector is a process of its own: no export, however large, stalls the mesh.
    const tracePort = opts.tracePort ?? 16686;
    const viewer = await startTraceCollector({
      host: '127.0.0.1',
      port: tracePort,
      onEvent: (line) => progress(line),
    }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EADDRINUSE'
        ? new Error(`port ${tracePort} is in use: pass --trace-port <free port> (the trace viewer)`)
        : err;
    });
    cleanup.push(() => viewer.close());
    const listeners: Listener[] = [listenerOf('trace collector', viewer.url)];
    const telemetryEnv = {
      OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpEndpoint,
      // Short batches, so a trace is complete a moment after the response.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };

    // The developer's own OTEL_* choices (sampler, log level, SDK off…) reach every app; where
    // spans go stays the local viewer.
    const tracingChoices = Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] =>
          e[0].startsWith('OTEL_') && !e[0].startsWith('OTEL_EXPORTER_OTLP_') && e[1] !== undefined,
      ),
    );
    if (Object.keys(tracingChoices).length > 0)
      progress(`passing on to every app: ${Object.keys(tracingChoices).join(', ')}`);

    const router = new LiveRouter(routes, opts.random);
    const watcher = watchRoutes({ routesDir, topologyFile, topology, router, say: progress });
    cleanup.push(watcher.close);
    const processes: ServiceProcess[] = [];
    for (const spec of topology.services) {
      const email = emailOf(spec.name);
      const metadata = await startMetadataServer(
        { service: spec.name, email },
        issuer,
        opts.onIdentity ? { onIdentity: opts.onIdentity } : {},
      );
      cleanup.push(metadata.close);
      listeners.push(listenerOf(`${spec.name} metadata server`, `http://${metadata.host}`));
      const sidecar = await startSidecar({
        caller: spec,
        callerEmail: email,
        meshDomain: topology.mesh.domain,
        router,
        fronts,
        runApp: { server: runAppServer, hosts: new Set(byRunAppHost.keys()) },
        issuer,
        recordSpans: (spans) => viewer.record(spans),
        ...(opts.random ? { random: opts.random } : {}),
        ...(opts.onHop ? { onHop: opts.onHop } : {}),
      });
      cleanup.push(sidecar.close);
      listeners.push({ name: `${spec.name} egress proxy`, host: '127.0.0.1', port: sidecar.port });
      const port = await freePort();
      appPorts.set(spec.name, port);
      const proc = new ServiceProcess({
        name: spec.name,
        // As in the image: telemetry is preloaded before the app's own code.
        args: ['--conditions=source', '--import', '@meshapps/telemetry/register', 'src/main.ts'],
        cwd: appDir(spec),
        port,
        env: appEnvironment(spec, {
          port,
          metadataHost: metadata.host,
          proxyPort: sidecar.port,
          caFile,
          state,
          extra: { ...telemetryEnv, ...tracingChoices, ...opts.appEnv, ...settings.get(spec.name) },
        }),
      });
      processes.push(proc);
    }

    progress(`starting ${processes.length} services, each its own Node process…`);
    // If the mesh process dies without stop() (a crash, process.exit), take the apps with it.
    const killAll = () => {
      for (const p of processes) p.killNow();
      rmSync(state, { recursive: true, force: true });
    };
    process.on('exit', killAll);
    cleanup.push(async () => {
      await Promise.all(processes.map((p) => p.stop()));
      process.off('exit', killAll);
    });
    const started = performance.now();
    const onAppLog = opts.onAppLog ?? (() => {});
    for (const p of processes) p.start(onAppLog);
    await Promise.all(
      processes.map(async (p) => {
        try {
          await p.waitReady();
        } catch (err) {
          // The port was free when picked but taken before the app bound it: pick another, once.
          if (!p.lostPortRace()) throw err;
          const port = await freePort();
          appPorts.set(p.spec.name, port);
          p.restartOn(port, onAppLog);
          await p.waitReady();
        }
        progress(`  ready  ${p.spec.name.padEnd(22)} ${Math.round(performance.now() - started)} ms`);
        // Like Cloud Run: an instance that dies is replaced; meanwhile its front answers 503.
        p.superviseRestarts({
          policy: opts.restarts ?? DEFAULT_RESTARTS,
          freePort,
          onLog: onAppLog,
          onEvent: progress,
          onDown: () => appPorts.delete(p.spec.name),
          onUp: (port) => appPorts.set(p.spec.name, port),
        });
      }),
    );

    for (const p of processes)
      listeners.push({ name: `${p.spec.name} app`, host: LOCAL_LISTEN_ADDRESS, port: p.spec.port });

    // Stopping drains like Cloud Run: the entries stop accepting and finish what is in flight
    // (bounded) before the apps get SIGTERM (cleanup runs last-in, first-out).
    const entryServers: Server[] = [];
    cleanup.push(async () => {
      const cut = await Promise.all(entryServers.map((s) => drainServer(s)));
      const total = cut.reduce((a, b) => a + b, 0);
      if (total > 0) progress(`cut ${total} connections still open after the 10 s drain`);
    });
    const host = opts.host ?? '127.0.0.1';
    const lb = await listen(host, opts.lbPort ?? 8080, entries.loadBalancer, 'load-balancer', fronts);
    entryServers.push(lb.server);
    listeners.push(listenerOf('load balancer', lb.url));
    let participantUrl: string | undefined;
    if (entries.participant) {
      const p = await listen(host, opts.participantPort ?? 8081, entries.participant, 'participant', fronts);
      entryServers.push(p.server);
      listeners.push(listenerOf('participant entry', p.url));
      participantUrl = p.url;
    }
    return {
      topology,
      loadBalancerUrl: lb.url,
      participantUrl,
      traceViewerUrl: viewer.url,
      runAppHosts,
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

function readRouteFiles(dir: string): { file: string; text: string }[] {
  return routeFilesIn(dir).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function entryServices(topology: Topology): { loadBalancer: string; participant: string | undefined } {
  const of = (entry: ServiceSpec['entry']) =>
    topology.services.filter((s) => s.entry === entry).map((s) => s.name);
  const lb = of('load-balancer');
  const participant = of('participant');
  if (lb.length !== 1 || participant.length > 1) {
    throw new ConfigInvalidError([
      {
        file: topology.file,
        path: 'services.*.entry',
        message: `the local mesh needs exactly one load-balancer entry (found ${lb.length}) and at most one participant entry (found ${participant.length})`,
      },
    ]);
  }
  return { loadBalancer: lb[0] as string, participant: participant[0] };
}

/**
 * Each service's app settings: the topology's `env:` (what Cloud Run gets too), then this run's
 * `--env` overrides. An override for a service or a name the topology cannot have is refused.
 */
function appSettings(
  topology: Topology,
  overrides: Record<string, Record<string, string>>,
  progress: (line: string) => void,
): Map<string, Record<string, string>> {
  const errors = Object.entries(overrides).flatMap(([service, env]) => {
    if (!findService(topology, service)) {
      const known = topology.services.map((s) => s.name).join(', ');
      return [
        { file: '--env', path: service, message: `no service named "${service}" (services: ${known})` },
      ];
    }
    return Object.keys(env).flatMap((name) => {
      const problem = envNameProblem(name);
      return problem ? [{ file: '--env', path: `${service}:${name}`, message: problem }] : [];
    });
  });
  if (errors.length > 0) throw new ConfigInvalidError(errors);
  const settings = new Map<string, Record<string, string>>();
  for (const spec of topology.services) {
    const own = spec.env ?? {};
    const run = overrides[spec.name] ?? {};
    settings.set(spec.name, { ...own, ...run });
    const shown = [
      ...Object.entries(own)
        .filter(([k]) => !(k in run))
        .map(([k, v]) => `${k}=${v} (topology)`),
      ...Object.entries(run).map(([k, v]) => `${k}=${v} (--env, this run only)`),
    ];
    if (shown.length > 0) progress(`${spec.name}: ${shown.join(', ')}`);
  }
  return settings;
}

function appDir(spec: ServiceSpec): string {
  const dir = join(REPO_ROOT, 'apps', spec.app);
  if (!existsSync(join(dir, 'src', 'main.ts'))) {
    throw new Error(
      `service ${spec.name}: app "${spec.app}" has no ${join('apps', spec.app, 'src', 'main.ts')}`,
    );
  }
  return dir;
}

/**
 * Exactly what Cloud Run gives a container, plus the standard variables that point the real
 * client libraries at the emulated cloud. Nothing of the developer's own environment leaks in
 * (their gcloud credentials or proxies would change what the apps do).
 */
function appEnvironment(
  spec: ServiceSpec,
  at: {
    port: number;
    metadataHost: string;
    proxyPort: number;
    caFile: string;
    state: string;
    extra?: Record<string, string> | undefined;
  },
): Record<string, string> {
  const home = join(at.state, 'home', spec.name);
  mkdirSync(home, { recursive: true });
  const proxy = `http://127.0.0.1:${at.proxyPort}`;
  const noProxy = '127.0.0.1,localhost,metadata.google.internal,169.254.169.254';
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    PORT: String(at.port),
    K_SERVICE: spec.name,
    K_REVISION: `${spec.name}-00001-loc`,
    K_CONFIGURATION: spec.name,
    GCE_METADATA_HOST: at.metadataHost,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    NO_PROXY: noProxy,
    http_proxy: proxy,
    https_proxy: proxy,
    no_proxy: noProxy,
    NODE_EXTRA_CA_CERTS: at.caFile,
    // An app setting (docs/architecture.md), as FAIL_PERCENT is: Cloud Run wants 0.0.0.0, the
    // local mesh loopback — the fronts are the only way in, as on Cloud Run.
    LISTEN_ADDRESS: LOCAL_LISTEN_ADDRESS,
    ...at.extra,
  };
}

async function listen(
  host: string,
  port: number,
  service: string,
  source: Source,
  fronts: ReadonlyMap<string, CloudRunFront>,
): Promise<{ server: Server; url: string }> {
  const front = fronts.get(service) as CloudRunFront;
  const server = createHttpServer(
    serverOptions(),
    guarded(`${source} entry`, (req: IncomingMessage, res: ServerResponse) => {
      closeWhenDraining(server, res);
      front.handle(req, res, { source });
    }),
  );
  answerClientErrors(server, `${source} entry`);
  refuseConnect(server, `${source} entry`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} is in use: pass --port <free port> (the ${source} of ${service})`)
          : err,
      ),
    );
    server.listen(port, host, resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return { server, url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}` };
}

function listenerOf(name: string, url: string): Listener {
  const { hostname, port } = new URL(url);
  return { name, host: hostname, port: Number(port) };
}
