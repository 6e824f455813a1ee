import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';

export interface Running {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  out: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output matches `pattern` (a positive marker, never a sleep). */
  until: (pattern: RegExp, ms?: number) => Promise<void>;
}

/** One of this package's CLIs as a process that keeps running while the test signals it. */
export function startTrafficCli(script: string, args: string[]): Running {
  const child = spawn(
    process.execPath,
    ['--conditions=source', join(import.meta.dirname, '../../src', script), ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  child.stderr?.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const until = async (pattern: RegExp, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!pattern.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `no ${pattern} (${child.exitCode === null ? 'timeout' : `exit ${child.exitCode}`}):\n${out}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { child, out: () => out, exited, until };
}
