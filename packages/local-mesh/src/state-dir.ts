import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStart, recordedProcessRuns } from './process-alive.ts';

/** `meshapps-XXXXXX` in the temporary folder: the apps' HOMEs and the run.app CA of one mesh. */
const PREFIX = 'meshapps-';
/**
 * Written first in every state folder: the pid of the mesh that owns it and, where /proc has it,
 * that process's start time (`4242 123456`), so a pid reused by another process is not taken for it.
 */
const OWNER_FILE = 'mesh.pid';

/** The few file operations used here (tests pass a failing one). */
export type StateFs = Pick<typeof fs, 'mkdtempSync' | 'writeFileSync' | 'mkdirSync'>;

/**
 * One mesh's temporary folder. Every write names the path and what to do when it fails: a full
 * or read-only temporary folder is the participant's to fix, and Node's own message
 * ("ENOSPC: no space left on device, write") says neither where nor how.
 */
export class StateDir {
  readonly path: string;
  private readonly fsOps: StateFs;

  private constructor(path: string, fsOps: StateFs) {
    this.path = path;
    this.fsOps = fsOps;
  }

  static create(opts: { tmp?: string; pid?: number; fsOps?: StateFs } = {}): StateDir {
    const tmp = opts.tmp ?? tmpdir();
    const fsOps = opts.fsOps ?? fs;
    let path: string;
    try {
      path = fsOps.mkdtempSync(join(tmp, PREFIX));
    } catch (err) {
      throw stateDirError(err, tmp);
    }
    const dir = new StateDir(path, fsOps);
    const pid = opts.pid ?? process.pid;
    const start = processStart(pid);
    dir.write(OWNER_FILE, start && start !== 'unknown' ? `${pid} ${start}\n` : `${pid}\n`);
    return dir;
  }

  /** Writes `name` (relative) in the folder; returns its path. */
  write(name: string, content: string): string {
    const file = join(this.path, name);
    try {
      this.fsOps.writeFileSync(file, content);
    } catch (err) {
      throw stateDirError(err, file);
    }
    return file;
  }

  /** Makes `name` (relative, nested) in the folder; returns its path. */
  mkdir(name: string): string {
    const dir = join(this.path, name);
    try {
      this.fsOps.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw stateDirError(err, dir);
    }
    return dir;
  }

  remove(): void {
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}

/** What failed, where, and what the participant can do about it. */
function stateDirError(err: unknown, path: string): Error {
  const e = err as NodeJS.ErrnoException;
  const why =
    e.code === 'ENOSPC'
      ? 'no space left on that disk (ENOSPC)'
      : e.code === 'EDQUOT'
        ? 'disk quota exceeded (EDQUOT)'
        : (e.code ?? e.message);
  return new Error(
    `cannot write the local mesh's temporary files: ${path}: ${why}. Free some space there, or give the mesh another temporary folder: TMPDIR=/a/folder/with/room pnpm start`,
  );
}

/**
 * The state folders of meshes that are gone (killed with SIGKILL, or aborted: nothing of theirs
 * ran to remove them), removed. Only folders this code made are touched — they carry the owner's
 * pid — and only when that process no longer exists (or its pid now belongs to a process started
 * at another time): another mesh running beside this one keeps its folder. Returns the folders
 * removed.
 */
export function removeStaleStateDirs(
  tmp: string = tmpdir(),
  alive: (pid: number, start: string | undefined) => boolean = recordedProcessRuns,
): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(PREFIX));
  } catch {
    return removed; // no temporary folder to read: StateDir.create will say so
  }
  for (const name of names) {
    const dir = join(tmp, name);
    let fields: string[];
    try {
      fields = fs.readFileSync(join(dir, OWNER_FILE), 'utf8').trim().split(/\s+/);
    } catch {
      continue; // not a mesh state folder (or not ours to judge)
    }
    // `pid start`, or just `pid` (written without /proc, or by an older mesh).
    const owner = Number(fields[0]);
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner, fields[1])) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another user's, or removed meanwhile: left as it is.
    }
  }
  return removed;
}
