import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '@meshapps/mesh-config';
import type { Ports } from './addresses.ts';

export interface RunningStack {
  ports: Ports;
  /** What `pnpm start` printed up to and including its "ready." line. */
  startOutput: string[];
  stop: () => Promise<void>;
}

const CLI = join(REPO_ROOT, 'packages/local-mesh/src/cli.ts');
const READY_LINE = /^local-mesh\s+ready\. /;

const portOf = (url: string) => Number(new URL(url).port);

/**
 * `pnpm start` exactly as a participant runs it, except on free ports (`--port 0` …) and with a
 * ready file to learn them. NO_COLOR keeps the output as the guide prints it.
 */
export async function startStack(timeoutMs = 60_000): Promise<RunningStack> {
  const dir = mkdtempSync(join(tmpdir(), 'meshapps-docs-'));
  const readyFile = join(dir, 'ready.json');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=source',
      CLI,
      '--port',
      '0',
      '--participant-port',
      '0',
      '--trace-port',
      '0',
      '--ready-file',
      readyFile,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => stdout.push(l));
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => stderr.push(l));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(readyFile) && stdout.some((l) => READY_LINE.test(l)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `pnpm start did not get ready (${child.exitCode === null ? 'timeout' : `exit ${child.exitCode}`}):\n${[...stdout, ...stderr].join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
  const readyAt = stdout.findIndex((l) => READY_LINE.test(l));
  return {
    ports: {
      lb: portOf(ready.loadBalancerUrl),
      participant: portOf(ready.participantUrl),
      traceViewer: portOf(ready.traceViewerUrl),
    },
    startOutput: stdout.slice(0, readyAt + 1),
    stop,
  };
}
