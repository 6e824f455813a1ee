import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcess {
  port: number;
  url: string;
  /** stdout lines parsed as JSON (the service's log), in order. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `apps/<app>` the way the local mesh does: from its directory, from sources, with the
 * telemetry preload, with only the environment given (plus PATH) on PORT=0. Resolves once it
 * logs where it listens.
 */
export async function startService(app: string, env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', '@meshapps/telemetry/register', 'src/main.ts'],
    {
      cwd: `${REPO_ROOT}apps/${app}`,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { nonJson: line };
        }
        logs.push(entry);
        const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(String(entry.message ?? ''));
        if (m) resolve(Number(m[1]));
      }
    });
    void exited.then(([code]) => reject(new Error(`${app} exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    logs,
    stderr: () => stderr,
    stop: () => stop(child, exited),
  };
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
