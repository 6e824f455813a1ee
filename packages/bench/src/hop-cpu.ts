import { fileURLToPath } from 'node:url';
import { startApp } from './apps.ts';
import type { LoadGenerator } from './load.ts';
import type { Target } from './load-runner.ts';
import { unreliableBecause } from './noise.ts';
import { CpuMeter, procAvailable, TICK_MS } from './proc-stats.ts';
import type { Figure } from './report.ts';
import { table } from './report.ts';
import { MESH_PROCESS, type Stack } from './stack.ts';
import { median } from './stats.ts';

export interface HopCpuSettings {
  rounds: number;
  /** Requests per second, held open loop: Istio measures its sidecar at 1,000. */
  rate: number;
  durationMs: number;
  /** Sent before each measured slice, not counted (connections, JIT). */
  warmupMs: number;
}

/** One round: per request, µs of CPU by process, in the mesh slice and in the bare-proxy slice. */
export interface HopRound {
  /** The local mesh process while it relayed the hops (sidecar, front and whatever else it did). */
  meshUs: number;
  /** The local mesh process while a bare proxy relayed the same load to the same app: no hop of its own. */
  otherUs: number;
  /** The bare proxy's own CPU per hop: Node's floor for a hop on this machine, at this rate. */
  floorUs: number;
  /** The hops of the mesh slice, and how many failed (both slices together). */
  hops: number;
  failed: number;
  /** The kernel ticks the mesh slice's figure was read from (the mesh process). */
  ticks: number;
}

/** Istio's published sidecar cost (perf-reliability.md §1): 0.20 vCPU per 1,000 req/s per sidecar. */
const ISTIO_TWO_SIDECARS_US = 2 * ((0.2 / 1000) * 1e6);

/**
 * The mesh's CPU per hop as Istio measures a sidecar: a fixed 1,000 req/s from a load generator
 * through the sidecar to an app. Here the load generator is the caller (it sends to the client
 * service's sidecar as the client app does, through its HTTP_PROXY), the hop is that sidecar and
 * target2's Cloud Run front, the app is target2. The local mesh process runs more than the hop —
 * it reads every app's log lines (the logging agent), keeps its timers — so the same load is also
 * sent through a bare Node proxy to the same app, and the mesh process's CPU meanwhile is taken
 * off: per round, mesh slice − bare slice, the median of the rounds.
 */
export async function hopCpuPhase(
  stack: Stack,
  load: LoadGenerator,
  s: HopCpuSettings,
): Promise<{ figures: Figure[]; details: string[] }> {
  const client = stack.mesh.processes.find((p) => p.spec.name === 'client')?.spec;
  const target2 = stack.mesh.processes.find((p) => p.spec.name === 'target2')?.spec;
  if (!client?.env.HTTP_PROXY || !target2)
    throw new Error('the topology has no client in the mesh, or no target2');
  const url = `http://target2.${stack.mesh.topology.mesh.domain}/`;
  const bare = await startApp({
    name: 'bare proxy',
    args: [fileURLToPath(new URL('./bare-proxy.js', import.meta.url))],
    cwd: process.cwd(),
    env: { BENCH_UPSTREAM: String(target2.port) },
  });
  try {
    const pids = new Map([
      [MESH_PROCESS, process.pid],
      ['bare proxy', bare.pid],
    ]);
    const slices = {
      mesh: {
        name: 'load generator → client sidecar → target2 front → target2',
        url,
        proxy: client.env.HTTP_PROXY,
      },
      bare: { name: 'load generator → bare Node proxy → target2', url, proxy: bare.url },
    };
    const rounds: HopRound[] = [];
    for (let r = 0; r < s.rounds; r++) {
      const mesh = await measure(load, new CpuMeter(pids), slices.mesh, s);
      const other = await measure(load, new CpuMeter(pids), slices.bare, s);
      rounds.push({
        meshUs: mesh.perRequestUs(MESH_PROCESS),
        otherUs: other.perRequestUs(MESH_PROCESS),
        floorUs: other.perRequestUs('bare proxy'),
        hops: mesh.served,
        failed: mesh.failed + other.failed,
        ticks: Math.round(mesh.cpuMs(MESH_PROCESS) / TICK_MS),
      });
    }
    return {
      figures: [meshCpuPerHop(rounds, s.rate)],
      details: [
        `Mesh CPU per hop: ${s.rate} req/s held open loop for ${s.durationMs / 1000} s after ${s.warmupMs / 1000} s, ${s.rounds} rounds; µs of CPU per request from the kernel:`,
        table(
          [
            'round',
            'mesh process, mesh slice',
            'mesh process, bare slice',
            'hop (difference)',
            'bare Node proxy',
          ],
          rounds.map((x, i) => [i + 1, x.meshUs, x.otherUs, x.meshUs - x.otherUs, x.floorUs]),
        ),
      ],
    };
  } finally {
    await bare.stop();
  }
}

async function measure(load: LoadGenerator, meter: CpuMeter, target: Target, s: HopCpuSettings) {
  await load.open({ targets: [target], ratePerTarget: s.rate, durationMs: s.warmupMs, warmupMs: 0 });
  meter.reset();
  const result = await load.open({
    targets: [target],
    ratePerTarget: s.rate,
    durationMs: s.durationMs,
    warmupMs: 0,
  });
  const spent = meter.read();
  const served = result.samples[target.name]?.length ?? 0;
  const failed = Object.values(result.why[target.name] ?? {}).reduce((a, b) => a + b, 0);
  const all = served + failed;
  return {
    served,
    failed,
    cpuMs: (name: string) => spent.get(name) ?? Number.NaN,
    perRequestUs: (name: string) => ((spent.get(name) ?? Number.NaN) * 1000) / Math.max(1, all),
  };
}

/** The figure from the rounds: median of (mesh slice − bare slice) of the mesh process, per hop. */
export function meshCpuPerHop(rounds: readonly HopRound[], rate: number): Figure {
  const figure = {
    id: 'hop.cpu',
    label: `mesh CPU per hop (sidecar + front, the local mesh process from the kernel, at ${rate} req/s)`,
    unit: 'µs',
    goal: { op: '<=' as const, limit: 300 },
    note: `two Istio sidecars at Istio's published 0.20 vCPU per 1,000 req/s: ≈ ${ISTIO_TWO_SIDECARS_US.toFixed(0)} µs; a bare Node proxy hop here: ${median(rounds.map((r) => r.floorUs)).toFixed(0)} µs`,
  };
  if (!procAvailable) return { ...figure, value: null, note: 'needs Linux /proc (kernel CPU accounting)' };
  const repeats = rounds.map((r) => r.meshUs - r.otherUs);
  const value = median(repeats);
  const hops = rounds.reduce((a, r) => a + r.hops, 0);
  const failed = rounds.reduce((a, r) => a + r.failed, 0);
  const unreliable = unreliableBecause({
    value,
    unit: 'µs',
    repeats,
    difference: 'the mesh process spent less with the hops than without them',
    ticks: rounds.reduce((a, r) => a + r.ticks, 0),
    failedShare: failed / Math.max(1, hops + failed),
    failedSpoils: 'a failed request is not a hop',
  });
  return { ...figure, value, ...(unreliable.length ? { unreliable } : {}) };
}
