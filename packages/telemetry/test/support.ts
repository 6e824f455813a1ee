import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT, spawnApp } from '@meshapps/test-fixtures';

export interface ServiceProcess {
  port: number;
  url: string;
  /** stdout lines parsed as JSON (the service's log), in order. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** SIGTERM (drain, flush telemetry, exit), SIGKILL if it has not exited within 3 s. */
  stop(): Promise<void>;
}

/**
 * Starts `apps/<app>` the way the local mesh does: from its directory, from sources, with the
 * telemetry preload (and the SDK on unless `env` turns it off), with only the environment given
 * (plus PATH) on PORT=0. Resolves once it logs where it listens.
 */
export async function startService(app: string, env: Record<string, string>): Promise<ServiceProcess> {
  const started = await spawnApp(
    'src/main.ts',
    { OTEL_SDK_DISABLED: 'false', ...env },
    { cwd: join(REPO_ROOT, 'apps', app), nodeArgs: ['--import', '@meshapps/telemetry/register'] },
  );
  const { child, exited } = started;
  return {
    port: started.port,
    url: `http://127.0.0.1:${started.port}`,
    logs: started.logs,
    stderr: started.stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}
