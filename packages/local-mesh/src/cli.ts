// pnpm start — the whole demo on this machine, no Docker, no cloud account.
import { ConfigInvalidError, formatErrors } from '@meshapps/mesh-config';
import { commandLine } from './cli-args.ts';
import { compileCacheEnv } from './compile-cache.ts';
import { demoBanner } from './demo-banner.ts';
import { evenSplits } from './even-splits.ts';
import { formatAppLine, formatHop, formatIdentity, prefix } from './log-format.ts';
import { type LocalMesh, startLocalMesh } from './mesh.ts';
import type { ReadyFile } from './mesh-process.ts';
import { ReadyFileWriter } from './ready-file.ts';
import { terminal } from './terminal.ts';

const USAGE = `usage: pnpm start [-- options]
  --port N              load balancer stand-in port (default 8080; 0 = any free port)
  --participant-port N  port of the without-mesh client (default 8081)
  --trace-port N        trace viewer and OTLP collector (default 16686)
  --host H              interface for those two (default 127.0.0.1)
  --topology FILE       topology (default infra/topology.yaml)
  --routes DIR          HTTPRoute files (default infra/routes); edits apply while running
  --env SVC:NAME=VALUE  an app setting for one service, this run only (repeatable),
                        e.g. --env target-green:FAIL_PERCENT=20
  --raw-logs            show the apps' JSON log lines as they are
  --quiet               no app logs, only mesh hops
  --even-splits         weighted routes split exactly by weight in every 100 requests, not at random
  --ready-file FILE     the URLs and pids as JSON while ready (for scripts and tests;
                        checked before anything starts, removed on stop)`;

const cli = commandLine('pnpm start', USAGE, {
  port: { type: 'string', default: '8080' },
  'participant-port': { type: 'string', default: '8081' },
  'trace-port': { type: 'string', default: '16686' },
  host: { type: 'string', default: '127.0.0.1' },
  topology: { type: 'string' },
  routes: { type: 'string' },
  env: { type: 'string', multiple: true, default: [] },
  'ready-file': { type: 'string' },
  'raw-logs': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  'even-splits': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
});
const values = cli.values;

/** Declared so TypeScript knows it never returns. */
function usageError(message: string): never {
  return cli.refuse(message);
}

function portArg(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) usageError(`--${name} wants a port number (0–65535), got "${raw}"`);
  return port;
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
// Checked before anything starts: a typo should not cost nine process start-ups.
const ports = {
  lbPort: portArg('port', values.port),
  participantPort: portArg('participant-port', values['participant-port']),
  tracePort: portArg('trace-port', values['trace-port']),
};

/** `--env target-green:FAIL_PERCENT=20` → { 'target-green': { FAIL_PERCENT: '20' } } */
function envArgs(raw: readonly string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const arg of raw) {
    const m = /^([a-z][a-z0-9-]*):([^=]+)=(.*)$/s.exec(arg);
    if (!m) usageError(`--env wants SERVICE:NAME=VALUE (e.g. target-green:FAIL_PERCENT=20), got "${arg}"`);
    const [, service, name, value] = m as unknown as [string, string, string, string];
    out[service] = { ...out[service], [name]: value };
  }
  return out;
}
const envOverrides = envArgs(values.env);

// Every line goes through here: a closed pipe or a full disk on stdout never ends the mesh.
const term = terminal();
const say = (line: string) => term.line(`${prefix('local-mesh')} ${line}`);

// Claimed before anything starts: a path that cannot be written is refused now, not after "ready".
let readyFile: ReadyFileWriter | undefined;
try {
  readyFile = values['ready-file'] ? ReadyFileWriter.claim(values['ready-file']) : undefined;
} catch (err) {
  usageError((err as Error).message);
}

let mesh: LocalMesh | undefined;
try {
  mesh = await startLocalMesh({
    ...ports,
    host: values.host,
    envOverrides,
    appEnv: compileCacheEnv(),
    ...(values.topology ? { topologyFile: values.topology } : {}),
    ...(values.routes ? { routesDir: values.routes } : {}),
    ...(values['even-splits'] ? { random: evenSplits() } : {}),
    onProgress: say,
    onAppLog: (line) => {
      if (!values.quiet) term.line(formatAppLine(line, values['raw-logs']));
    },
    onHop: (hop) => term.line(formatHop(hop)),
    onIdentity: (service, audience) => term.line(formatIdentity(service, audience)),
  });
  const started = mesh;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(
      `${signal}: draining like Cloud Run — new connections are answered 503 while requests in flight finish (up to 10 s), then every service stops…`,
    );
    readyFile?.remove();
    try {
      await started.stop();
    } catch (err) {
      say(`stopped, with errors: ${(err as Error).message}`);
      process.exit(1);
    }
    say('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // The apps are in their own process group (supervisor.ts): a closed terminal hangs up only
  // this process, whose default on SIGHUP would skip the exit-time kill and orphan them.
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  // `pnpm start` passes SIGINT and SIGTERM on (its script `exec`s node, so no shell stands between:
  // decision 084). A parent that vanishes without a word (pnpm SIGKILLed) is the same request to
  // stop, and gets the same drain. Run directly (`node cli.ts &`), we stay up.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown(`SIGTERM to pnpm (parent ${parent} exited)`);
    }, 250).unref();
  }

  if (readyFile) {
    const file = readyFile;
    const content = (): ReadyFile => ({
      loadBalancerUrl: started.loadBalancerUrl,
      participantUrl: started.participantUrl ?? '',
      traceViewerUrl: started.traceViewerUrl,
      runAppHosts: started.runAppHosts,
      pid: process.pid,
      traceCollectorPid: started.traceCollectorPid,
      listeners: started.listeners,
    });
    file.write(content());
    // The collector is started again if it dies, under a new pid: the file follows.
    setInterval(() => {
      if (!stopping) file.write(content());
    }, 250).unref();
  }
  const lb = mesh.loadBalancerUrl;
  say(`ready. The load balancer stand-in is ${lb}`);
  term.line(
    demoBanner({
      loadBalancerUrl: lb,
      participantUrl: mesh.participantUrl,
      traceViewerUrl: mesh.traceViewerUrl,
      withoutMeshTarget: mesh.runAppHosts['without-mesh-target'],
      hostnames: mesh.hostnames,
      routesFlag: values.routes,
    }),
  );
} catch (err) {
  readyFile?.remove();
  await mesh?.stop().catch(() => {});
  if (err instanceof ConfigInvalidError) {
    term.error(`local mesh not started — fix these first:\n${formatErrors(err.errors)}`);
    process.exit(1);
  }
  term.error(`local mesh not started: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
