import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '@meshapps/mesh-config';

export interface Stack {
  lb: string;
  participant: string;
  traceViewer: string;
  runAppHosts: Record<string, string>;
  /** The local mesh's process, and the trace collector's. */
  pid: number;
  traceCollectorPid: number;
  listeners: { name: string; host: string; port: number }[];
  /** What was spawned: the mesh itself, or pnpm running it. */
  child: ChildProcess;
  /** Every line the stack printed (mesh and apps), in order. */
  lines: string[];
  stop: () => Promise<number | null>;
}

const CLI = join(REPO_ROOT, 'packages/local-mesh/src/cli.ts');

/**
 * `pnpm start`, as a real process tree, on free ports: the CLI itself, or with `viaPnpm` the very
 * `pnpm start` command (then `child` is pnpm, and the mesh is its grandchild).
 */
export async function startStack(extraArgs: string[] = [], opts: { viaPnpm?: boolean } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'meshapps-stack-'));
  const readyFile = join(dir, 'ready.json');
  const run = (opts.viaPnpm ? runPnpmStart : runCli)([
    '--port',
    '0',
    '--participant-port',
    '0',
    '--trace-port',
    '0',
    '--raw-logs',
    '--ready-file',
    readyFile,
    ...extraArgs,
  ]);
  const deadline = Date.now() + 60_000;
  while (!existsSync(readyFile)) {
    if (run.child.exitCode !== null)
      throw new Error(`the local mesh exited (${run.child.exitCode}):\n${run.lines.join('\n')}`);
    if (Date.now() > deadline)
      throw new Error(`the local mesh was not ready in 60 s:\n${run.lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
  return {
    lb: ready.loadBalancerUrl,
    participant: ready.participantUrl,
    traceViewer: ready.traceViewerUrl,
    runAppHosts: ready.runAppHosts,
    pid: ready.pid,
    traceCollectorPid: ready.traceCollectorPid,
    listeners: ready.listeners,
    child: run.child,
    lines: run.lines,
    stop: async () => {
      run.child.kill('SIGTERM');
      const code = await run.exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

export function runCli(args: string[]): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
} {
  return collect(
    spawn(process.execPath, ['--conditions=source', CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** `pnpm start -- …` from the repository root (pnpm found on PATH, as `pnpm test` has it). */
export function runPnpmStart(args: string[]): ReturnType<typeof runCli> {
  return collect(
    spawn('pnpm', ['start', '--', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

function collect(child: ChildProcess): ReturnType<typeof runCli> {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    if (stream) createInterface({ input: stream }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}
