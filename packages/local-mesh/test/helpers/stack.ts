import type { ChildProcess } from 'node:child_process';
import { type MeshRun, type ReadyFile, spawnMesh, startMesh } from '../../src/mesh-process.ts';

/** The ready file's URLs under short names, the rest as it has them. */
export interface Stack extends Pick<ReadyFile, 'runAppHosts' | 'pid' | 'traceCollectorPid' | 'listeners'> {
  lb: string;
  participant: string;
  traceViewer: string;
  /** What was spawned: the mesh itself, or pnpm running it. */
  child: ChildProcess;
  /** Every line the stack printed (mesh and apps), in order. */
  lines: string[];
  stop: () => Promise<number | null>;
}

/**
 * `pnpm start`, as a real process tree, on free ports: the CLI itself, or with `viaPnpm` the very
 * `pnpm start` command (then `child` is pnpm, and the mesh is its grandchild).
 */
export async function startStack(extraArgs: string[] = [], opts: { viaPnpm?: boolean } = {}): Promise<Stack> {
  const mesh = await startMesh({ args: ['--raw-logs', ...extraArgs], viaPnpm: opts.viaPnpm });
  return {
    lb: mesh.ready.loadBalancerUrl,
    participant: mesh.ready.participantUrl,
    traceViewer: mesh.ready.traceViewerUrl,
    runAppHosts: mesh.ready.runAppHosts,
    pid: mesh.ready.pid,
    traceCollectorPid: mesh.ready.traceCollectorPid,
    listeners: mesh.ready.listeners,
    child: mesh.child,
    lines: mesh.lines,
    stop: mesh.stop,
  };
}

export function runCli(args: string[]): MeshRun {
  return spawnMesh(args);
}

/** `pnpm start -- …` from the repository root (pnpm found on PATH, as `pnpm test` has it). */
export function runPnpmStart(args: string[]): MeshRun {
  return spawnMesh(args, { viaPnpm: true });
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}
