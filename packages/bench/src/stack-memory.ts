import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** One process of the stack: its name, RSS and PSS in MB. */
type Row = [name: string, rssMb: number, pssMb: number];

/**
 * The whole local stack's memory, idle: `pnpm start` itself as a process (the CLI, on free ports),
 * and the RSS of every process it runs summed — the mesh, the trace collector, every app. RSS
 * counts shared pages once per process, so the sum is what a small VM must hold at most; PSS
 * divides them among their users, so its sum is what the machine holds (decision 113).
 *
 * Started twice on a compile cache of its own: first empty, as the first `pnpm start` after a
 * clone (every process strips TypeScript, and keeps the stripper), then warm, as every start
 * after it. The goal is judged on the warm one; a run right after a code change would otherwise
 * measure whatever part of the developer's cache that change left cold.
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
  const pss: Figure = {
    id: 'stack.pss.idle',
    label: "whole local stack's memory, idle: what the machine holds (sum of PSS)",
    value: null,
    unit: 'MB',
  };
  const first: Figure = {
    id: 'stack.rss.idle.first',
    label: 'the same, first start after a clone (compile cache empty; sum of RSS)',
    value: null,
    unit: 'MB',
  };
  if (!procAvailable) {
    return { figures: [figure, pss, first].map((f) => ({ ...f, note: 'needs Linux /proc' })), details: [] };
  }
  const cache = mkdtempSync(join(tmpdir(), 'meshapps-bench-compile-cache-'));
  try {
    const cold = await idleStack(cache, s.idleMs);
    const warm = await idleStack(cache, s.idleMs);
    const sum = (rows: Row[], i: 1 | 2) => rows.reduce((a, r) => a + r[i], 0);
    const coldRss = new Map(cold.map(([name, rss]) => [name, rss]));
    return {
      figures: [
        {
          ...figure,
          value: sum(warm, 1),
          note: `${warm.length} processes, after ${s.idleMs / 1000} s idle, compile cache warm; Cloud Shell's VM is small`,
        },
        { ...pss, value: sum(warm, 2) },
        { ...first, value: sum(cold, 1), note: "every process loads Node's TypeScript stripper once" },
      ],
      details: [
        `pnpm start, idle ${s.idleMs / 1000} s after ready: memory of every process it runs (MB). RSS counts the pages the processes share (node's own code) once in each; PSS divides them among their users, so its sum, ${sum(warm, 2).toFixed(0)} MB, is what the machine holds. The first start after a clone (compile cache empty) beside it:`,
        table(
          ['process', 'RSS MB', 'PSS MB', 'first start RSS MB'],
          warm
            .sort((a, b) => b[1] - a[1])
            .map(([name, rss, p]) => [name, rss, p, coldRss.get(name) ?? Number.NaN]),
        ),
      ],
    };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** `pnpm start` on the given compile cache, idle for `idleMs`: every process's RSS and PSS. */
async function idleStack(cache: string, idleMs: number): Promise<Row[]> {
  const mesh = await startMesh({ env: { NODE_COMPILE_CACHE: cache } });
  try {
    await sleep(idleMs);
    const tree = treeRssMiB(mesh.ready.pid);
    return [...tree].map(([pid, mib]) => {
      const name =
        pid === mesh.ready.pid
          ? 'local mesh (sidecars, fronts, LB, metadata servers)'
          : pid === mesh.ready.traceCollectorPid
            ? 'trace collector'
            : (serviceOf(pid) ?? `pid ${pid}`);
      return [name, mib * MIB, pssMb(pid)];
    });
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
