import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface AppProcess {
  child: ChildProcess;
  port: number;
  /** stdout lines parsed as JSON (the service's log), in order. */
  logs: Record<string, unknown>[];
  /** The same lines as printed. */
  lines: string[];
  stderr: () => string;
  /** Resolves when the process ends: its exit code and when (performance.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Kills it if still running (for afterEach). */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Where it starts (default: the repository root); `entry` is relative to it. */
  cwd?: string;
  /** Node flags after `--conditions=source`, e.g. the telemetry preload's `--import`. */
  nodeArgs?: string[];
}

/**
 * Runs an app from its sources exactly as `pnpm start` does (`node --conditions=source …`),
 * with only the environment given (plus PATH, and OTEL_SDK_DISABLED=true unless `env` says
 * otherwise), on PORT=0; resolves once it logs where it listens.
 */
export async function spawnApp(
  entry: string,
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--conditions=source', ...(options.nodeArgs ?? []), entry], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const printed: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: performance.now(),
  }));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        printed.push(line);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { message: line, notJson: true }; // kept, so a test can see something printed raw
        }
        logs.push(entry);
        const m = /listening at https?:\/\/[^\s]*:(\d+)/.exec(String(entry.message ?? ''));
        if (m) resolve(Number(m[1]));
      }
    });
    void exited.then(({ code }) =>
      reject(new Error(`${entry} exited (${code}) before listening:\n${stderr}`)),
    );
  });
  return {
    child,
    port,
    logs,
    lines: printed,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** What a command printed (stdout and stderr interleaved as they came) and how it ended. */
export interface CommandRun {
  code: number | null;
  out: string;
}

/**
 * Runs a command from the repository root to its end without blocking the test's event loop
 * (a stack the test started keeps answering meanwhile). It inherits this process's environment
 * with NO_COLOR=1; `env` adds to (or overrides) it, e.g. a PATH with stand-ins first.
 */
export function runCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandRun> {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    out += c;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out })));
}

/**
 * Runs one of the repository's CLIs from its sources as its `pnpm` script does
 * (`node --conditions=source packages/…/src/x.ts`); `script` is relative to the repository root.
 */
export function runSourceCli(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandRun> {
  return runCommand(process.execPath, ['--conditions=source', join(REPO_ROOT, script), ...args], env);
}
