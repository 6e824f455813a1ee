import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';

const SRC = join(import.meta.dirname, '../../src');

/**
 * Runs one of this package's CLIs (`canary/cli.ts`, `split-check.ts`, …) as its `pnpm` script does,
 * without blocking; `env` adds to (or overrides) the environment, e.g. a PATH with stand-ins first.
 */
export function runTrafficCli(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--conditions=source', join(SRC, script), ...args], {
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
