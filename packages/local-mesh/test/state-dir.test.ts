import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStart } from '../src/process-alive.ts';
import { removeStaleStateDirs, StateDir, type StateFs } from '../src/state-dir.ts';

let base: string;
afterEach(() => rmSync(base, { recursive: true, force: true }));
/** A temporary folder of the test's own, standing in for the machine's. */
function tmp(): string {
  base = mkdtempSync(join(tmpdir(), 'meshapps-state-test-'));
  return base;
}

/** A pid that no process has any more: a child that has exited and been reaped. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
}

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('the temporary folder says where and what to do when it cannot be written (issue 22, item 14)', () => {
  it('a full disk while writing a file: the path, ENOSPC, and TMPDIR as the way out', () => {
    const fsOps: StateFs = {
      ...fs,
      writeFileSync: () => {
        throw enospc();
      },
    };
    const root = tmp();
    expect(() => StateDir.create({ tmp: root, fsOps })).toThrow(
      /^cannot write the local mesh's temporary files: .*\/meshapps-\w+\/mesh\.pid: no space left on that disk \(ENOSPC\)\. Free some space there, or give the mesh another temporary folder: TMPDIR=\/a\/folder\/with\/room pnpm start$/,
    );
  });

  it('a temporary folder that does not exist: that folder named', () => {
    const missing = join(tmp(), 'no-such-folder');
    expect(() => StateDir.create({ tmp: missing })).toThrow(
      `cannot write the local mesh's temporary files: ${missing}: ENOENT.`,
    );
  });

  it('a full disk while making a HOME: that HOME named', () => {
    const dir = StateDir.create({ tmp: tmp() });
    (dir as unknown as { fsOps: StateFs }).fsOps = {
      ...fs,
      mkdirSync: () => {
        throw enospc();
      },
    };
    expect(() => dir.mkdir('home/client')).toThrow(
      `${dir.path}/home/client: no space left on that disk (ENOSPC)`,
    );
  });
});

describe('a killed mesh’s folder is removed by the next start (issue 22, item 7)', () => {
  it('removes folders whose mesh is gone; keeps a running mesh’s and folders it did not make', () => {
    const root = tmp();
    const dead = StateDir.create({ tmp: root, pid: deadPid() });
    mkdirSync(join(dead.path, 'home', 'client'), { recursive: true });
    const running = StateDir.create({ tmp: root, pid: process.pid });
    const other = join(root, 'meshapps-stack-x');
    mkdirSync(other);
    writeFileSync(join(other, 'ready.json'), '{}');

    expect(removeStaleStateDirs(root)).toEqual([dead.path]);
    expect(existsSync(dead.path)).toBe(false);
    expect(existsSync(running.path)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it('removes a folder whose pid now belongs to another process (a reused pid), as the canary lock does', () => {
    const root = tmp();
    const running = StateDir.create({ tmp: root, pid: process.pid });
    const start = processStart(process.pid) as string;
    expect(readFileSync(join(running.path, 'mesh.pid'), 'utf8')).toBe(`${process.pid} ${start}\n`);
    // Left by an earlier process that had this pid: same pid, another start time.
    const reused = StateDir.create({ tmp: root, pid: process.pid });
    writeFileSync(join(reused.path, 'mesh.pid'), `${process.pid} ${Number(start) - 1}\n`);
    // Written by a mesh from before the start time was recorded: the pid alone decides.
    const older = StateDir.create({ tmp: root, pid: process.pid });
    writeFileSync(join(older.path, 'mesh.pid'), `${process.pid}\n`);

    expect(removeStaleStateDirs(root)).toEqual([reused.path]);
    expect(existsSync(running.path)).toBe(true);
    expect(existsSync(older.path)).toBe(true);
  });
});
