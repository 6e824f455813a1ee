import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMesh } from '@meshapps/local-mesh/mesh-process';
import { treeRssMiB } from '@meshapps/local-mesh/process-rss';
import { procAvailable } from './proc-stats.ts';
import { type Figure, table } from './report.ts';

export interface StackMemorySettings {
  /** How long the stack sits idle after it is ready before its memory is read. */
  idleMs: number;
}

const MIB = 1_048_576 / 1e6;

/**
 * The whole local stack's memory, idle: `pnpm start` itself as a process (the CLI, on free ports),
 * and the RSS of every process it runs summed — the mesh, the trace collector, every app. RSS
 * counts shared pages once per process, so the sum is what a small VM must hold at most.
 */
export async function stackMemoryPhase(
  s: StackMemorySettings,
): Promise<{ figures: Figure[]; details: string[] }> {
  const figure: Figure = {
    id: 'stack.rss.idle',
    label: "whole local stack's memory, idle (sum of the RSS of every process pnpm start runs)",
    value: null,
    unit: 'MB',
    goal: { op: '<=', limit: 1000 },
  };
  if (!procAvailable) return { figures: [{ ...figure, note: 'needs Linux /proc' }], details: [] };
  const mesh = await startMesh();
  try {
    await sleep(s.idleMs);
    const tree = treeRssMiB(mesh.ready.pid);
    const rows = [...tree].map(([pid, mib]) => {
      const name =
        pid === mesh.ready.pid
          ? 'local mesh (sidecars, fronts, LB, metadata servers)'
          : pid === mesh.ready.traceCollectorPid
            ? 'trace collector'
            : (serviceOf(pid) ?? `pid ${pid}`);
      return [name, mib * MIB, pssMb(pid)] as [string, number, number];
    });
    const total = rows.reduce((a, [, mb]) => a + mb, 0);
    const pss = rows.reduce((a, [, , mb]) => a + mb, 0);
    return {
      figures: [
        {
          ...figure,
          value: total,
          note: `${rows.length} processes, after ${s.idleMs / 1000} s idle; Cloud Shell's VM is small`,
        },
      ],
      details: [
        `pnpm start, idle ${s.idleMs / 1000} s after ready: memory of every process it runs (MB). RSS counts the pages the processes share (node's own code) once in each; PSS divides them among their users, so its sum, ${pss.toFixed(0)} MB, is what the machine holds:`,
        table(
          ['process', 'RSS MB', 'PSS MB'],
          rows.sort((a, b) => b[1] - a[1]),
        ),
      ],
    };
  } finally {
    await mesh.stop();
  }
}

/** Proportional set size in MB (shared pages divided among their users), NaN if unreadable. */
function pssMb(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb ? (Number(kb) * 1024) / 1e6 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The K_SERVICE an app process was started with (the local mesh sets it for every app). */
function serviceOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.find((e) => e.startsWith('K_SERVICE='))?.slice('K_SERVICE='.length);
  } catch {
    return undefined;
  }
}
