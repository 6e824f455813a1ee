import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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

/**
 * Runs an app from its sources exactly as `pnpm start` does (`node --conditions=source …`),
 * with only the environment given (plus PATH), on PORT=0; resolves once it logs where it listens.
 */
export async function spawnApp(entry: string, env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--conditions=source', entry], {
    cwd: REPO_ROOT,
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
