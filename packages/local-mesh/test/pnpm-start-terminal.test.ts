import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadyFile } from '../src/mesh-process.ts';

// The very `pnpm start` command, in the two terminals issue 22 (item 4) and issue 19 name: piped
// into `head -1`, and in a real terminal (a pty from util-linux `script`) stopped with Ctrl-C.
const FREE = '--port 0 --participant-port 0 --trace-port 0 --quiet';

let dir: string;
let readyPath: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-terminal-'));
  readyPath = join(dir, 'ready.json');
});
afterEach(async () => {
  // Whatever the test left: the mesh by its pid (pnpm and the shell end with it).
  if (existsSync(readyPath)) {
    const { pid } = JSON.parse(readFileSync(readyPath, 'utf8')) as ReadyFile;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  if (child && child.exitCode === null && child.signalCode === null)
    await new Promise((r) => child?.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command from the repository, collecting its output; resolves once the ready file exists. */
async function run(argv0: string, args: string[]) {
  const proc = spawn(argv0, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  child = proc;
  const out = { stdout: '', stderr: '' };
  proc.stdout?.on('data', (c) => {
    out.stdout += c;
  });
  proc.stderr?.on('data', (c) => {
    out.stderr += c;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const deadline = Date.now() + 90_000;
  while (!existsSync(readyPath)) {
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`not ready:\n${out.stdout}\n${out.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ready = JSON.parse(readFileSync(readyPath, 'utf8')) as ReadyFile;
  return { proc, out, exited, ready };
}

const CHAIN = '/call/proxy.meshapps.internal/target1.meshapps.internal';

describe('pnpm start in a terminal', () => {
  it('`pnpm start | head -1`: head is gone, the mesh keeps serving and says once why it went quiet', async () => {
    const { out, exited, ready } = await run('sh', [
      '-c',
      `pnpm start -- ${FREE} --ready-file ${readyPath} | head -1`,
    ]);
    // Hops are printed to stdout, long gone: each request is one more write to the dead pipe.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${ready.loadBalancerUrl}${CHAIN}`);
      expect(res.status).toBe(200);
      await res.text();
    }
    process.kill(ready.pid, 0); // still running
    expect(out.stdout.split('\n').length).toBeLessThanOrEqual(2); // one line (pnpm's first, maybe empty)
    expect(out.stderr.match(/stdout failed \(EPIPE\)/g)).toHaveLength(1);
    process.kill(ready.pid, 'SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('Ctrl-C in a real terminal: a clean stop, exit 0, and no " ELIFECYCLE  Command failed." from pnpm', async () => {
    // `exec`: the shell `script` starts would itself die of the Ctrl-C after pnpm (dash does).
    const command = `exec pnpm start -- ${FREE} --ready-file ${readyPath}`;
    const { proc, out, exited } = await run('script', ['-qefc', command, '/dev/null']);
    proc.stdin?.write('\x03'); // what the terminal turns into SIGINT for its foreground group
    expect(await exited).toBe(0);
    expect(out.stdout).toMatch(/SIGINT: draining like Cloud Run/);
    expect(out.stdout).toMatch(/ stopped\.\r?\n/); // the mesh's last line (coloured: a terminal)
    expect(out.stdout).not.toContain('ELIFECYCLE');
    expect(out.stdout).not.toContain('Command failed');
  }, 120_000);
});
