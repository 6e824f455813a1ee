import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStart, recordedProcessRuns } from '@meshapps/local-mesh/process-alive';

/** Who walks a route: written into its lock, printed to a second canary. */
export interface LockHolder {
  pid: number;
  /** ISO time the canary started. */
  started: string;
  route: string;
  file: string;
  /** The process's start time as /proc has it (clock ticks since boot), to tell a reused pid apart. */
  procStart?: string;
}

export interface LockDeps {
  pid: number;
  now: () => Date;
  /** Whether a process with this pid runs, and since when (/proc); undefined = gone. */
  processStart: (pid: number) => string | 'unknown' | undefined;
  dir: string;
}

export type LockResult =
  | {
      ok: true;
      release: () => void;
      /** A lock left by a canary that is gone, taken over. */
      stale?: LockHolder;
    }
  | { ok: false; holder: LockHolder };

/** Locks live outside the repository (a crash leaves nothing for git status), one per route file. */
const LOCK_DIR = join(tmpdir(), 'meshapps-canary-locks');

const realLockDeps = (): LockDeps => ({
  pid: process.pid,
  now: () => new Date(),
  processStart,
  dir: LOCK_DIR,
});

/**
 * One canary per route file on this machine: the lock is a file created exclusively (O_EXCL), named
 * after the route file's real path. A lock whose process is gone (or whose pid now belongs to another
 * process) is stale and taken over. Not a lock across machines: two organisers walking one cloud
 * route from two shells are not seen.
 */
export function lockRoute(file: string, route: string, deps: LockDeps = realLockDeps()): LockResult {
  mkdirSync(deps.dir, { recursive: true });
  const path = join(
    deps.dir,
    `${createHash('sha256').update(realpathSync(file)).digest('hex').slice(0, 32)}.json`,
  );
  const start = deps.processStart(deps.pid);
  const me: LockHolder = {
    pid: deps.pid,
    started: deps.now().toISOString(),
    route,
    file,
    ...(start && start !== 'unknown' ? { procStart: start } : {}),
  };
  let stale: LockHolder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // Only our own lock: never one a later canary took over after ours was judged stale.
        if (readHolder(path)?.pid === me.pid) unlinkSync(path);
      };
      return { ok: true, release, ...(stale ? { stale } : {}) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && recordedProcessRuns(holder.pid, holder.procStart, deps.processStart))
      return { ok: false, holder };
    stale = holder;
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const holder = readHolder(path);
  if (holder) return { ok: false, holder };
  throw new Error(`could not take the canary lock ${path} (removed twice, still there)`);
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}
