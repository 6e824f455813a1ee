import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Memory and CPU of processes, read from the kernel (Linux /proc; RSS also via `ps` elsewhere).
 * CPU time per request is the figure a shared, noisy machine distorts least: a process that
 * waits for a core still spends the same CPU per request once it runs.
 */
const HAS_PROC = existsSync('/proc/self/stat');
/** USER_HZ: /proc reports CPU in clock ticks of 10 ms on Linux. */
export const TICK_MS = 10;

/** Resident set size in MB (10^6 bytes), or NaN when the process is gone. */
export function rssMb(pid: number): number {
  try {
    if (HAS_PROC) {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return kb ? (Number(kb) * 1024) / 1e6 : Number.NaN;
    }
    const kb = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return kb ? (Number(kb) * 1024) / 1e6 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU of a process (all its threads) in ms; NaN without /proc. */
export function cpuMs(pid: number): number {
  if (!HAS_PROC) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/** Child processes of `parent` by the K_SERVICE in their environment (the mesh's apps). */
export function childrenByService(parent: number = process.pid): Map<string, number> {
  const found = new Map<string, number>();
  if (!HAS_PROC) return found;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const service = env.find((e) => e.startsWith('K_SERVICE='))?.slice('K_SERVICE='.length);
      const port = env.find((e) => e.startsWith('PORT='))?.slice('PORT='.length);
      if (service) found.set(`${service}:${port}`, Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** CPU spent by each named process between two snapshots. */
export class CpuMeter {
  private readonly pids: ReadonlyMap<string, number>;
  private last = new Map<string, number>();

  constructor(pids: ReadonlyMap<string, number>) {
    this.pids = pids;
    this.reset();
  }

  reset(): void {
    this.last = new Map([...this.pids].map(([name, pid]) => [name, cpuMs(pid)]));
  }

  /** CPU ms per process since the last reset/read, then resets. */
  read(): Map<string, number> {
    const now = new Map([...this.pids].map(([name, pid]) => [name, cpuMs(pid)]));
    const spent = new Map([...now].map(([name, ms]) => [name, ms - (this.last.get(name) ?? Number.NaN)]));
    this.last = now;
    return spent;
  }
}

export const procAvailable = HAS_PROC;
