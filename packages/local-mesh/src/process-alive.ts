import { readFileSync } from 'node:fs';

/**
 * Whether a process a file names still runs: the mesh's state folders (`mesh.pid`) and the canary's
 * route locks record a pid and, where /proc has it, the process's start time. A pid the system has
 * since given to another process (same pid, another start time) is not the recorded process, so a
 * folder or lock it left behind is stale all the same.
 */
export function recordedProcessRuns(
  pid: number,
  recordedStart: string | undefined,
  startOf: (pid: number) => string | 'unknown' | undefined = processStart,
): boolean {
  const now = startOf(pid);
  if (now === undefined) return false;
  return !(recordedStart && now !== 'unknown' && now !== recordedStart);
}

/** A process's start time from /proc/<pid>/stat (field 22); 'unknown' without /proc; undefined if gone. */
export function processStart(pid: number): string | 'unknown' | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return aliveWithoutProc(pid);
    try {
      readFileSync('/proc/self/stat');
      return undefined; // /proc works: the process is gone
    } catch {
      return aliveWithoutProc(pid);
    }
  }
}

/** Without /proc: whether the pid exists at all (EPERM: it does, someone else's). */
function aliveWithoutProc(pid: number): 'unknown' | undefined {
  try {
    process.kill(pid, 0);
    return 'unknown';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'unknown' : undefined;
  }
}
