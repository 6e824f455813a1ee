import { join } from 'node:path';
import type { Topology } from '@meshapps/mesh-config';
import { appDir, appEnvironment, LOCAL_LISTEN_ADDRESS } from './app-environment.ts';
import type { Cleanup } from './cleanup.ts';
import { CLOUD_RUN_HEAP } from './instance-heap.ts';
import type { Listener } from './listener.ts';
import { freePort } from './ports.ts';
import type { ServiceEnvironment } from './service-environments.ts';
import type { StateDir } from './state-dir.ts';
import { type LogLine, type RestartPolicy, ServiceProcess } from './supervisor.ts';

export interface AppsOptions {
  topology: Topology;
  environments: ReadonlyMap<string, ServiceEnvironment>;
  /** The run.app CA the apps trust. */
  caPem: string;
  /** The mesh's temporary folder: the CA file and each service's HOME go there. */
  state: StateDir;
  /** Each service's extra environment: telemetry, the developer's OTEL_* choices, app settings. */
  extraEnv: (service: string) => Record<string, string>;
  /** Kept current as instances come and go: the fronts read it per request. */
  appPorts: Map<string, number>;
  restarts: RestartPolicy;
  onAppLog: (line: LogLine) => void;
  progress: (line: string) => void;
}

/** Every service as its own Node process, ready on /healthz, replaced like Cloud Run when it dies. */
export async function startApps(
  opts: AppsOptions,
  listeners: Listener[],
  cleanup: Cleanup,
): Promise<ServiceProcess[]> {
  const processes = await createProcesses(opts, cleanup);
  opts.progress(`starting ${processes.length} services, each its own Node process…`);
  const started = performance.now();
  for (const p of processes) p.start(opts.onAppLog);
  await Promise.all(
    processes.map(async (p) => {
      await readyOrRetryOnce(p, opts);
      opts.progress(`  ready  ${p.spec.name.padEnd(22)} ${Math.round(performance.now() - started)} ms`);
      // Like Cloud Run: an instance that dies is replaced; meanwhile its front answers 503.
      p.superviseRestarts({
        policy: opts.restarts,
        freePort,
        onLog: opts.onAppLog,
        onEvent: opts.progress,
        onDown: () => opts.appPorts.delete(p.spec.name),
        onUp: (port) => opts.appPorts.set(p.spec.name, port),
      });
    }),
  );
  for (const p of processes)
    listeners.push({ name: `${p.spec.name} app`, host: LOCAL_LISTEN_ADDRESS, port: p.spec.port });
  return processes;
}

/**
 * How every app is started: V8's heap as in its Cloud Run instance, and as in the image, telemetry
 * preloaded before the app's own code; from sources (the `source` export condition).
 */
export const APP_ARGS: readonly string[] = [
  ...CLOUD_RUN_HEAP,
  '--conditions=source',
  '--import',
  '@meshapps/telemetry/register',
  'src/main.ts',
];

/** One process per service, not yet started, each with its own HOME under a state directory. */
async function createProcesses(opts: AppsOptions, cleanup: Cleanup): Promise<ServiceProcess[]> {
  const { state } = opts;
  const caFile = state.write('run-app-ca.pem', opts.caPem);
  const processes: ServiceProcess[] = [];
  for (const spec of opts.topology.services) {
    const port = await freePort();
    opts.appPorts.set(spec.name, port);
    processes.push(
      new ServiceProcess({
        name: spec.name,
        args: [...APP_ARGS],
        cwd: appDir(spec),
        port,
        env: appEnvironment(spec, {
          ...(opts.environments.get(spec.name) as ServiceEnvironment),
          port,
          caFile,
          home: state.mkdir(join('home', spec.name)),
          extra: opts.extraEnv(spec.name),
        }),
      }),
    );
  }
  // If the mesh process dies without stop() (a crash, process.exit), take the apps with it.
  const killAll = () => {
    for (const p of processes) p.killNow();
    state.remove();
  };
  process.on('exit', killAll);
  cleanup.push(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    process.off('exit', killAll);
  });
  return processes;
}

/** The port was free when picked but taken before the app bound it: start again on another. */
async function readyOrRetryOnce(p: ServiceProcess, opts: AppsOptions): Promise<void> {
  try {
    await p.waitReady();
  } catch (err) {
    if (!p.lostPortRace()) throw err;
    opts.appPorts.set(p.spec.name, await p.startOnFreePort(freePort, opts.onAppLog));
  }
}
