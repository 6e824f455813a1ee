import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '@meshapps/mesh-config';

/** What `--ready-file` holds once the stack is up (cli.ts writes it). */
export interface ReadyFile {
  loadBalancerUrl: string;
  participantUrl: string;
  traceViewerUrl: string;
  runAppHosts: Record<string, string>;
  /** The local mesh's process, and the trace collector's. */
  pid: number;
  traceCollectorPid: number;
  listeners: { name: string; host: string; port: number }[];
}

export interface MeshRun {
  child: ChildProcess;
  /** Every line printed (stdout and stderr), in order; and each stream alone. */
  lines: string[];
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

export interface SpawnMeshOptions {
  /** The repository (copy) to run in; default this repository. */
  root?: string;
  /** The very `pnpm start -- …` command (pnpm found on PATH) rather than the CLI itself. */
  viaPnpm?: boolean;
  /** `inherit-stderr`: stdout dropped, stderr shown as is (a script's own output); default collected. */
  output?: 'collect' | 'inherit-stderr';
  /** Added to (or overriding) the environment, e.g. a TMPDIR of the caller's own. */
  env?: Record<string, string>;
}

/**
 * How `pnpm start` runs node: package.json's start script is `exec node` and these (a test holds
 * the two together). The young generation is capped at 4 MB: V8 sizes it for the machine (16 MB
 * semi-spaces here, 32 MB committed after start-up, idle), the hop's CPU measured no different
 * (decision 112). The bench's own process, which runs the mesh in `pnpm bench`, gets the same.
 */
export const MESH_NODE_ARGS: readonly string[] = ['--conditions=source', '--max-semi-space-size=4'];
/** `pnpm start`'s entry: the compile cache first, then the CLI (start.js says why). */
export const MESH_ENTRY = 'packages/local-mesh/src/start.js';

/** The local mesh as a process, as `pnpm start -- ARGS` runs it. Collected output is NO_COLOR. */
export function spawnMesh(args: string[], opts: SpawnMeshOptions = {}): MeshRun {
  const root = opts.root ?? REPO_ROOT;
  const collect = (opts.output ?? 'collect') === 'collect';
  const [command, argv] = opts.viaPnpm
    ? ['pnpm', ['start', '--', ...args]]
    : [process.execPath, [...MESH_NODE_ARGS, join(root, MESH_ENTRY), ...args]];
  const child = spawn(command, argv, {
    cwd: root,
    env: { ...process.env, ...(collect ? { NO_COLOR: '1' } : {}), ...opts.env },
    stdio: collect ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
  });
  const run: MeshRun = {
    child,
    lines: [],
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  for (const [stream, own] of [
    [child.stdout, run.stdout],
    [child.stderr, run.stderr],
  ] as const) {
    if (stream)
      createInterface({ input: stream }).on('line', (l) => {
        own.push(l);
        run.lines.push(l);
      });
  }
  return run;
}

export interface StartMeshOptions extends SpawnMeshOptions {
  /** Options after the free ports and the ready file, as after `pnpm start --`. */
  args?: string[];
  timeoutMs?: number;
  /** A further sign of readiness than the ready file (e.g. a line printed after it). */
  readyWhen?: (run: MeshRun) => boolean;
}

export interface StartedMesh extends MeshRun {
  ready: ReadyFile;
  /** Stops the process (if still running) and removes its ready file's folder; its exit code. */
  stop: () => Promise<number | null>;
}

/**
 * `pnpm start` on free ports (`--port 0` …), ready once its ready file is written: what the docs
 * check, the soak and the stack tests all start. If it exits or times out first, it is stopped
 * and the error carries what it printed.
 */
export async function startMesh(opts: StartMeshOptions = {}): Promise<StartedMesh> {
  const args = opts.args ?? [];
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'meshapps-stack-'));
  const readyFile = join(dir, 'ready.json');
  const freePorts = ['--port', '0', '--participant-port', '0', '--trace-port', '0'];
  const run = spawnMesh([...freePorts, '--ready-file', readyFile, ...args], opts);
  const stop = async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
    const code = await run.exited;
    rmSync(dir, { recursive: true, force: true });
    return code;
  };

  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(readyFile) && (opts.readyWhen?.(run) ?? true))) {
    if (run.child.exitCode !== null || Date.now() > deadline) {
      const why =
        run.child.exitCode === null ? `timeout, ${timeoutMs / 1000} s` : `exit ${run.child.exitCode}`;
      await stop();
      throw new Error(
        `pnpm start${args.length > 0 ? ` -- ${args.join(' ')}` : ''} did not get ready (${why}):\n${[...run.stdout, ...run.stderr].join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...run, ready: JSON.parse(readFileSync(readyFile, 'utf8')), stop };
}
