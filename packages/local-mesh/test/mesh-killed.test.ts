import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSourceCli, until } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedMesh, startMesh } from '../src/mesh-process.ts';

// The real stack, started as `pnpm start` runs it, then treated as a crash would treat it: its
// trace collector killed, then the mesh process itself SIGKILLed — no code of its own runs after
// (issue 22, items 7 and 15). Its own TMPDIR, so no other stack's start can tidy up in its place.
let tmp: string;
let mesh: StartedMesh;
const pids: number[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'meshapps-killed-'));
  mesh = await startMesh({ args: ['--quiet'], env: { TMPDIR: tmp } });
}, 90_000);
afterAll(async () => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await mesh?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/** The ready file as it is now (startMesh passed its path as `--ready-file`). */
function readyFile(): { traceCollectorPid: number } {
  const args = mesh.child.spawnargs;
  return JSON.parse(readFileSync(args[args.indexOf('--ready-file') + 1] as string, 'utf8'));
}

/** The mesh's state folder, read from an app's HOME (`<state>/home/<service>`). */
function stateFolderOf(pids: number[]): string | undefined {
  for (const pid of pids) {
    const home = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((v) => v.startsWith(`HOME=${tmp}/meshapps-`));
    if (home) return home.slice('HOME='.length).replace(/\/home\/[^/]+$/, '');
  }
  return undefined;
}

describe('a mesh that dies without stopping leaves nothing behind', () => {
  it('the trace collector killed: it comes back, and the ready file names its new pid', async () => {
    const before = mesh.ready.traceCollectorPid;
    expect(alive(before)).toBe(true);
    process.kill(before, 'SIGKILL');
    await until(
      () => readyFile().traceCollectorPid !== before,
      'timed out waiting for a new collector pid in the ready file',
      15_000,
    );
    const after = readyFile().traceCollectorPid;
    expect(alive(after)).toBe(true);
    expect(childrenOf(mesh.ready.pid)).toContain(after);
  });

  it('SIGKILL to the mesh process: no app (or collector) is alive 5 s later', async () => {
    const children = childrenOf(mesh.ready.pid);
    pids.push(...children);
    expect(children.length).toBe(10); // nine apps and the trace collector
    const state = stateFolderOf(children);

    process.kill(mesh.ready.pid, 'SIGKILL');
    await until(
      () => children.every((pid) => !alive(pid)),
      'timed out waiting for every app and the collector gone',
      5000,
    );

    // Nothing of the mesh ran to remove its temporary folder; the next start does, and says so.
    expect(state && existsSync(state)).toBe(true);
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const taken = String((held.address() as { port: number }).port);
    // The next start fails fast on a taken port, after tidying up: no apps start for this.
    const next = await runSourceCli(
      'packages/local-mesh/src/cli.ts',
      ['--port', taken, '--participant-port', '0', '--trace-port', '0'],
      { TMPDIR: tmp },
    );
    held.close();
    expect(next.out).toContain(`port ${taken} is in use`);
    expect(next.out).toContain(
      `removed ${state}: left by a local mesh that did not stop (killed, or crashed)`,
    );
    expect(existsSync(state as string)).toBe(false);
  }, 30_000);
});
