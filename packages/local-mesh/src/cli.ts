// pnpm start — the whole demo on this machine, no Docker, no cloud account.
import { renameSync, writeFileSync } from 'node:fs';
import { ConfigInvalidError, formatErrors } from '@meshapps/mesh-config';
import { commandLine } from './cli-args.ts';
import { compileCacheEnv } from './compile-cache.ts';
import { demoBanner } from './demo-banner.ts';
import { evenSplits } from './even-splits.ts';
import { formatAppLine, formatHop, formatIdentity, prefix } from './log-format.ts';
import { startLocalMesh } from './mesh.ts';

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
  --ready-file FILE     write the URLs as JSON once ready (for scripts and tests)`;

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

const say = (line: string) => console.log(`${prefix('local-mesh')} ${line}`);

try {
  const mesh = await startLocalMesh({
    ...ports,
    host: values.host,
    envOverrides,
    appEnv: compileCacheEnv(),
    ...(values.topology ? { topologyFile: values.topology } : {}),
    ...(values.routes ? { routesDir: values.routes } : {}),
    ...(values['even-splits'] ? { random: evenSplits() } : {}),
    onProgress: say,
    onAppLog: (line) => {
      if (!values.quiet) console.log(formatAppLine(line, values['raw-logs']));
    },
    onHop: (hop) => console.log(formatHop(hop)),
    onIdentity: (service, audience) => console.log(formatIdentity(service, audience)),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(
      `${signal}: draining like Cloud Run — no new connections; requests in flight finish (up to 10 s), then every service stops…`,
    );
    try {
      await mesh.stop();
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
  // `pnpm start` does not pass SIGTERM on: pnpm exits and leaves this process behind, reparented.
  // Under a package manager's script (npm_lifecycle_event is set), losing our parent is the same
  // request to stop, and gets the same drain. Run directly (`node cli.ts &`), we stay up.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown(`SIGTERM to pnpm (parent ${parent} exited)`);
    }, 250).unref();
  }

  const lb = mesh.loadBalancerUrl;
  say(`ready. The load balancer stand-in is ${lb}`);
  console.log(
    demoBanner({
      loadBalancerUrl: lb,
      participantUrl: mesh.participantUrl,
      traceViewerUrl: mesh.traceViewerUrl,
      withoutMeshTarget: mesh.runAppHosts['without-mesh-target'],
      hostnames: mesh.hostnames,
      routesFlag: values.routes,
    }),
  );
  if (values['ready-file']) {
    // Written aside, then renamed: whoever waits for the file never reads it half-written.
    const partial = `${values['ready-file']}.partial`;
    writeFileSync(
      partial,
      JSON.stringify({
        loadBalancerUrl: lb,
        participantUrl: mesh.participantUrl,
        traceViewerUrl: mesh.traceViewerUrl,
        runAppHosts: mesh.runAppHosts,
        pid: process.pid,
        traceCollectorPid: mesh.traceCollectorPid,
        listeners: mesh.listeners,
      }),
    );
    renameSync(partial, values['ready-file']);
  }
} catch (err) {
  if (err instanceof ConfigInvalidError) {
    console.error(`local mesh not started — fix these first:\n${formatErrors(err.errors)}`);
    process.exit(1);
  }
  console.error(`local mesh not started: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
