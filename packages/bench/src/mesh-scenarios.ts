import type { LoadGenerator } from './load.ts';
import { failedCount, type Target } from './load-runner.ts';
import { unreliableBecause } from './noise.ts';
import { CpuMeter, procAvailable, TICK_MS } from './proc-stats.ts';
import type { Figure } from './report.ts';
import { table } from './report.ts';
import { MESH_PROCESS, type Stack, stackProcesses } from './stack.ts';
import { type LatencySummary, median, medianSummary, summarise } from './stats.ts';

export const SCENARIOS = {
  appAlone: 'app alone (client GET /)',
  lbClient: 'LB front -> client',
  direct1: 'direct 1 hop (client -> target2)',
  mesh1: 'mesh 1 hop (client -> target2)',
  direct2: 'direct 2 hops (client -> proxy -> target1)',
  mesh2: 'mesh 2 hops (client -> proxy -> target1)',
} as const;

export function meshTargets(stack: Stack): Record<keyof typeof SCENARIOS, Target> {
  const domain = stack.mesh.topology.mesh.domain;
  const one = `/call/target2.${domain}`;
  const two = `/call/proxy.${domain}/target1.${domain}`;
  const t = (key: keyof typeof SCENARIOS, url: string): Target => ({ name: SCENARIOS[key], url });
  return {
    appAlone: t('appAlone', `${stack.clientUrl}/`),
    lbClient: t('lbClient', `${stack.mesh.loadBalancerUrl}/`),
    direct1: t('direct1', `${stack.direct.client.url}${one}`),
    mesh1: t('mesh1', `${stack.clientUrl}${one}`),
    direct2: t('direct2', `${stack.direct.client.url}${two}`),
    mesh2: t('mesh2', `${stack.clientUrl}${two}`),
  };
}

export interface LatencySettings {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  /** The hop pair (direct and mesh 1 hop), each at this rate: the per-hop goal's load. */
  hopRate: number;
  /** Every scenario interleaved, this rate in total: the overview table. */
  overviewRate: number;
}

/** Open loop, scenarios interleaved request by request, a few rounds; medians of the rounds. */
async function openRounds(
  load: LoadGenerator,
  targets: Target[],
  ratePerTarget: number,
  s: LatencySettings,
): Promise<{
  summaries: Map<string, LatencySummary>;
  /** Each round's summary per scenario, in order: the repeats a figure's spread comes from. */
  rounds: Map<string, LatencySummary[]>;
  bodies: Record<string, string>;
  lagMs: number;
  why: Failures;
}> {
  const rounds = new Map<string, LatencySummary[]>(targets.map((t) => [t.name, []]));
  const why: Failures = new Map();
  const bodies: Record<string, string> = {};
  let lagMs = 0;
  for (let r = 0; r < s.rounds; r++) {
    const result = await load.open({
      targets,
      ratePerTarget,
      durationMs: s.durationMs,
      warmupMs: s.warmupMs,
    });
    for (const t of targets) {
      rounds.get(t.name)?.push(summarise(result.samples[t.name] ?? [], failedCount(result.why[t.name])));
      addFailures(why, t.name, result.why[t.name] ?? {});
    }
    Object.assign(bodies, result.bodies);
    lagMs = Math.max(lagMs, result.maxSendLagMs);
  }
  const summaries = new Map([...rounds].map(([name, rs]) => [name, medianSummary(rs)]));
  return { summaries, rounds, bodies, lagMs, why };
}

/** Per scenario: what its failed requests were (`503`, `ECONNRESET`…), and how many of each. */
type Failures = Map<string, Record<string, number>>;

function addFailures(into: Failures, scenario: string, counts: Record<string, number>): void {
  const mine = into.get(scenario) ?? {};
  for (const [reason, n] of Object.entries(counts)) mine[reason] = (mine[reason] ?? 0) + n;
  into.set(scenario, mine);
}

/** A line per scenario that had failures, so a run that saw some says what they were. */
function failureLines(failures: Failures): string[] {
  return [...failures]
    .filter(([, counts]) => Object.keys(counts).length > 0)
    .map(
      ([scenario, counts]) =>
        `not 200 in ${scenario}: ${Object.entries(counts)
          .map(([reason, n]) => `${reason} × ${n}`)
          .join(', ')}`,
    );
}

export async function latencyPhase(
  stack: Stack,
  load: LoadGenerator,
  s: LatencySettings,
): Promise<{ figures: Figure[]; details: string[]; bodies: Record<string, string> }> {
  const t = meshTargets(stack);
  const hop = await openRounds(load, [t.direct1, t.mesh1], s.hopRate, s);
  const all = Object.values(t);
  const overview = await openRounds(load, all, s.overviewRate / all.length, s);

  const h = (name: string) => hop.summaries.get(name) as LatencySummary;
  const o = (name: string) => overview.summaries.get(name) as LatencySummary;
  const hr = (name: string) => hop.rounds.get(name) ?? [];
  const or = (name: string) => overview.rounds.get(name) ?? [];
  const at = `at ${s.hopRate} req/s`;
  const figures: Figure[] = [
    addedLatency(
      { id: 'hop.added.p50', label: `mesh hop: added latency p50 (mesh - direct, 1 hop ${at})` },
      { direct: hr(t.direct1.name), mesh: hr(t.mesh1.name), p: 'p50', hops: 1, sendLagMs: hop.lagMs },
    ),
    addedLatency(
      {
        id: 'hop.added.p90',
        label: `mesh hop: added latency p90 (mesh - direct, 1 hop ${at})`,
        goal: { op: '<=', limit: 0.5 },
      },
      { direct: hr(t.direct1.name), mesh: hr(t.mesh1.name), p: 'p90', hops: 1, sendLagMs: hop.lagMs },
    ),
    addedLatency(
      { id: 'hop.added2.p50', label: 'mesh hop: added latency p50 per hop, 2-hop chain (overview load)' },
      { direct: or(t.direct2.name), mesh: or(t.mesh2.name), p: 'p50', hops: 2, sendLagMs: overview.lagMs },
    ),
    addedLatency(
      { id: 'hop.added2.p90', label: 'mesh hop: added latency p90 per hop, 2-hop chain (overview load)' },
      { direct: or(t.direct2.name), mesh: or(t.mesh2.name), p: 'p90', hops: 2, sendLagMs: overview.lagMs },
    ),
  ];
  const perRound = (direct: string, mesh: string, rounds: (n: string) => LatencySummary[]) =>
    rounds(direct)
      .map((d, i) => `${fmtMs((rounds(mesh)[i]?.p90 ?? Number.NaN) - d.p90)}`)
      .join(', ');
  const row = (name: string, x: LatencySummary) => [name, x.p50, x.p90, x.p99, x.mean, x.count, x.failed];
  const head = ['scenario', 'p50', 'p90', 'p99', 'mean', 'n', 'failed'];
  const details = [
    `Open loop, fixed rate, latency from each request's intended send time (ms); median of ${s.rounds} rounds of ${s.durationMs / 1000} s after ${s.warmupMs / 1000} s warm-up.`,
    `Hop pair, interleaved, ${s.hopRate} req/s each (${2 * s.hopRate} req/s in total):`,
    table(head, [row(t.direct1.name, h(t.direct1.name)), row(t.mesh1.name, h(t.mesh1.name))]),
    `Every scenario, interleaved, ${s.overviewRate} req/s in total:`,
    table(
      head,
      all.map((x) => row(x.name, o(x.name))),
    ),
    `ratio mesh/direct at p50: 1 hop ${(o(t.mesh1.name).p50 / o(t.direct1.name).p50).toFixed(2)}, 2 hops ${(o(t.mesh2.name).p50 / o(t.direct2.name).p50).toFixed(2)}; load generator's worst send lag ${Math.max(hop.lagMs, overview.lagMs).toFixed(1)} ms`,
    `Added latency is the median over rounds of mesh − direct within the same round (they ran interleaved), not the difference of the medians above. p90, mesh − direct, round by round (ms): 1 hop ${perRound(t.direct1.name, t.mesh1.name, hr)}; 2 hops ${perRound(t.direct2.name, t.mesh2.name, or)}`,
    ...failureLines(hop.why),
    ...failureLines(overview.why),
  ];
  return { figures, details, bodies: { ...overview.bodies, ...hop.bodies } };
}

/**
 * Added latency at one percentile: mesh − direct, paired round by round (the two ran interleaved,
 * so each round's pair shares the same minutes of a noisy machine), per hop, median over rounds.
 * Unreliable when the noise is as large as the figure: negative, the generator's send lag, the
 * rounds' spread, or failed requests the percentiles leave out (noise.ts).
 */
export function addedLatency(
  figure: Pick<Figure, 'id' | 'label' | 'goal'>,
  m: {
    direct: readonly LatencySummary[];
    mesh: readonly LatencySummary[];
    p: 'p50' | 'p90';
    hops: number;
    sendLagMs: number;
  },
): Figure {
  const repeats = m.direct.map((d, i) => ((m.mesh[i]?.[m.p] ?? Number.NaN) - d[m.p]) / m.hops);
  const value = median(repeats);
  const share = (rounds: readonly LatencySummary[]) => {
    const failed = rounds.reduce((a, r) => a + r.failed, 0);
    return failed / Math.max(1, failed + rounds.reduce((a, r) => a + r.count, 0));
  };
  const unreliable = unreliableBecause({
    value,
    unit: 'ms',
    repeats,
    difference: true,
    sendLagMs: m.sendLagMs,
    failedShare: Math.max(share(m.direct), share(m.mesh)),
  });
  return {
    ...figure,
    value,
    unit: 'ms',
    ...(unreliable.length ? { unreliable } : {}),
  };
}

const fmtMs = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

export interface ThroughputSettings {
  rounds: number;
  sliceMs: number;
  connections: number;
}

/**
 * Closed loop at saturation, scenarios in alternating slices (so all share the same minutes of
 * a noisy machine); CPU per request of every process from the kernel's accounting.
 */
export async function throughputPhase(
  stack: Stack,
  load: LoadGenerator,
  s: ThroughputSettings,
): Promise<{ figures: Figure[]; details: string[] }> {
  const t = meshTargets(stack);
  const targets = [t.direct2, t.mesh2, t.direct1, t.mesh1];
  const pids = stackProcesses(stack);
  if (load.pid) pids.set('load generator', load.pid);
  const meter = new CpuMeter(pids);
  const done = new Map(targets.map((x) => [x.name, { completed: 0, ms: 0 }]));
  const why: Failures = new Map();
  const cpu = new Map(targets.map((x) => [x.name, new Map<string, number>()]));
  // Hops each scenario's request crosses in the mesh (sidecar + front each): the CPU-per-hop figure.
  const hopsPerRequest = new Map([
    [t.mesh1.name, 1],
    [t.mesh2.name, 2],
  ]);
  const meshRounds: MeshRound[] = [];
  for (let r = 0; r < s.rounds; r++) {
    const round: MeshRound = { cpuMs: 0, hops: 0 };
    meshRounds.push(round);
    for (const target of targets) {
      meter.reset();
      const result = await load.closed({ target, connections: s.connections, durationMs: s.sliceMs });
      const spent = meter.read();
      const hops = hopsPerRequest.get(target.name) ?? 0;
      if (hops > 0) {
        round.cpuMs += spent.get(MESH_PROCESS) ?? Number.NaN;
        round.hops += hops * result.completed;
      }
      const d = done.get(target.name) as { completed: number; ms: number };
      d.completed += result.completed;
      addFailures(why, target.name, result.why);
      d.ms += result.elapsedMs;
      const c = cpu.get(target.name) as Map<string, number>;
      for (const [name, ms] of spent) c.set(name, (c.get(name) ?? 0) + ms);
    }
  }
  const rps = (name: string) => {
    const d = done.get(name) as { completed: number; ms: number };
    return (d.completed / d.ms) * 1000;
  };
  const figures: Figure[] = [
    {
      id: 'chain.throughput.ratio',
      label: `2-hop chain throughput, mesh / direct (closed loop, ${s.connections} connections)`,
      value: rps(t.mesh2.name) / rps(t.direct2.name),
      unit: '×',
      goal: { op: '>=', limit: 0.6 },
    },
    { id: 'chain.mesh.rps', label: '2-hop chain through the mesh', value: rps(t.mesh2.name), unit: 'req/s' },
    { id: 'chain.direct.rps', label: '2-hop chain direct', value: rps(t.direct2.name), unit: 'req/s' },
    chainCpuPerHop(meshRounds),
  ];
  const details = [
    `Closed loop, ${s.connections} connections, ${s.rounds} alternating slices of ${s.sliceMs / 1000} s per scenario:`,
    table(
      ['scenario', 'req/s', 'failed'],
      targets.map((x) => [x.name, rps(x.name), failedCount(why.get(x.name))]),
    ),
    ...failureLines(why),
  ];
  if (procAvailable) {
    const perRequest = (x: Target, n: string) =>
      ((cpu.get(x.name)?.get(n) ?? 0) * 1000) / (done.get(x.name)?.completed || 1);
    // Services no scenario reaches (target3, the without-mesh pair…) stay out of the table.
    const names = [...pids.keys()].filter((n) => targets.some((x) => perRequest(x, n) > 0));
    details.push(
      'CPU per request (µs) by process during those slices (kernel accounting; robust to a busy machine):',
      table(
        ['process', ...targets.map((x) => x.name.split(' (')[0] as string)],
        names.map((n) => [n, ...targets.map((x) => Math.round(perRequest(x, n)))]),
      ),
      `Mesh CPU per hop, round by round (µs; the mesh process over the mesh slices / hops served): ${meshRounds
        .map((r) => (r.hops > 0 ? Math.round((r.cpuMs * 1000) / r.hops) : '—'))
        .join(', ')}`,
    );
  }
  return { figures, details };
}

/** One round of the mesh scenarios' slices: the mesh process's CPU and the hops it served. */
export interface MeshRound {
  cpuMs: number;
  hops: number;
}

/**
 * The mesh process's CPU per hop in the chain (closed loop): what the kernel counted for it over
 * the mesh scenarios' slices, divided by the hops served (a 1-hop request one, a 2-hop one two).
 * For information: besides the sidecars and fronts it holds reading every app's log lines, and
 * per-hop CPU rises as the rate falls (fewer events per wake-up), so this figure moves with what
 * the apps cost. The goal is judged on hop.cpu (hop-cpu.ts), at a fixed rate.
 */
export function chainCpuPerHop(rounds: readonly MeshRound[]): Figure {
  const figure = {
    id: 'hop.cpu.chain',
    label: "mesh process CPU per hop in the chain (closed loop; apps' log reading included)",
    unit: 'µs',
  };
  if (!procAvailable) return { ...figure, value: null, note: 'needs Linux /proc (kernel CPU accounting)' };
  const cpuMs = rounds.reduce((a, r) => a + r.cpuMs, 0);
  const hops = rounds.reduce((a, r) => a + r.hops, 0);
  const value = hops > 0 ? (cpuMs * 1000) / hops : Number.NaN;
  const repeats = rounds.map((r) => (r.hops > 0 ? (r.cpuMs * 1000) / r.hops : Number.NaN));
  const unreliable = unreliableBecause({ value, unit: 'µs', repeats, ticks: Math.round(cpuMs / TICK_MS) });
  return { ...figure, value, ...(unreliable.length ? { unreliable } : {}) };
}
