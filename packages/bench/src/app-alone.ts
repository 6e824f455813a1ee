import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReplayResult } from '@meshapps/infra-checks/docker-replay';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { type AppSpec, type BenchApp, startApp } from './apps.ts';
import type { LoadGenerator } from './load.ts';
import { cpuMs, rssMb } from './proc-stats.ts';
import { type Figure, table } from './report.ts';
import { median } from './stats.ts';

export interface AppAloneSettings {
  /** Start-to-first-200 measurements per app, interleaved. */
  startRounds: number;
  /** Quiet time after start before "idle" RSS is read. */
  idleMs: number;
  throughputRounds: number;
  sliceMs: number;
  connections: number;
  /** The sustained load after which RSS is read again (the goal says 60 s). */
  sustainedMs: number;
  sustainedRate: number;
}

/**
 * V8's heap as Node sizes it inside a 512 MiB Cloud Run instance (var.memory in
 * infra/terraform/variables.tf): Node derives the heap from the container's memory limit, and
 * these two flags give exactly the heap_size_limit it picks there (271581184 bytes, as node:22
 * reports under `docker run -m 512m`, denoland/deno#29077). On this machine's 24 GB, V8 would
 * let the young generation grow to 192 MB under load — memory an instance never has.
 */
export const CLOUD_RUN_HEAP = ['--max-old-space-size=256', '--max-semi-space-size=1'];

const BARE = 'bare Fastify';
const OFF = 'target, telemetry off';
const ON = 'target, telemetry on';
const SOURCES = 'target, telemetry on, from sources';

/**
 * The app alone, as the image runs it (`dist/`, production dependencies, the Dockerfile's CMD)
 * when an image build is given, else from sources. Telemetry on = always_on sampling, every span
 * exported over OTLP to a local collector; off = OTEL_SDK_DISABLED=true.
 */
function specs(image: ReplayResult | undefined, otlpEndpoint: string): Map<string, AppSpec> {
  const home = mkdtempSync(join(tmpdir(), 'meshapps-bench-home-'));
  const common = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    K_SERVICE: 'target',
    K_REVISION: 'target-00001',
  };
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_TRACES_SAMPLER: 'always_on' };
  const off = { OTEL_SDK_DISABLED: 'true' };
  const fromSources = (env: Record<string, string>): AppSpec => ({
    name: '',
    args: [
      ...CLOUD_RUN_HEAP,
      '--conditions=source',
      '--import',
      '@meshapps/telemetry/register',
      'src/main.ts',
    ],
    cwd: join(REPO_ROOT, 'apps', 'target'),
    env: { ...common, ...env },
  });
  const fromImage = (env: Record<string, string>): AppSpec | undefined =>
    image && {
      name: '',
      args: [...CLOUD_RUN_HEAP, ...image.cmd.slice(1)],
      cwd: image.appDir,
      env: { ...common, ...image.env, ...env },
    };
  const all: [string, AppSpec | undefined][] = [
    [
      BARE,
      {
        name: '',
        args: [...CLOUD_RUN_HEAP, fileURLToPath(new URL('./bare-fastify.js', import.meta.url))],
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...common, NODE_ENV: 'production' },
      },
    ],
    [OFF, fromImage(off) ?? fromSources(off)],
    [ON, fromImage(on) ?? fromSources(on)],
    [SOURCES, image ? fromSources(on) : undefined],
  ];
  return new Map(
    all.filter((e): e is [string, AppSpec] => e[1] !== undefined).map(([n, s]) => [n, { ...s, name: n }]),
  );
}

interface Start {
  ms: number;
  cpuMs: number;
  rssMb: number;
}

export async function appAlonePhase(
  load: LoadGenerator,
  image: ReplayResult | undefined,
  otlpEndpoint: string,
  s: AppAloneSettings,
): Promise<{ figures: Figure[]; details: string[] }> {
  const apps = specs(image, otlpEndpoint);
  const entry = image
    ? 'the image entry (dist/, production deps, its CMD)'
    : 'sources (--quick: no image build)';

  // Start to first 200, interleaved rounds: every app starts cold, one at a time.
  const starts = new Map<string, Start[]>([...apps.keys()].map((n) => [n, []]));
  for (let r = 0; r < s.startRounds; r++) {
    for (const [name, spec] of apps) {
      const app = await startApp(spec);
      starts.get(name)?.push({ ms: app.firstOkMs, cpuMs: cpuMs(app.pid), rssMb: rssMb(app.pid) });
      await app.stop();
    }
  }
  const start = (name: string, k: keyof Start) => median((starts.get(name) ?? []).map((x) => x[k]));

  // Throughput: one instance each of bare, off and on, saturated in alternating slices.
  const saturated = await startAll(apps, [BARE, OFF, ON]);
  const done = new Map([...saturated.keys()].map((n) => [n, { completed: 0, ms: 0, cpu: 0 }]));
  let afterSaturation = new Map<string, number>();
  try {
    for (let r = 0; r < s.throughputRounds; r++) {
      for (const [name, app] of saturated) {
        const before = cpuMs(app.pid);
        const result = await load.closed({
          target: { name, url: `${app.url}/` },
          connections: s.connections,
          durationMs: s.sliceMs,
        });
        const d = done.get(name) as { completed: number; ms: number; cpu: number };
        d.completed += result.completed;
        d.ms += result.elapsedMs;
        d.cpu += cpuMs(app.pid) - before;
      }
    }
    afterSaturation = new Map([...saturated].map(([n, a]) => [n, rssMb(a.pid)]));
  } finally {
    await stopAll(saturated);
  }
  const rps = (n: string) => ((done.get(n)?.completed ?? 0) / (done.get(n)?.ms || 1)) * 1000;
  const cpuPerReq = (n: string) => ((done.get(n)?.cpu ?? Number.NaN) * 1000) / (done.get(n)?.completed || 1);

  // Memory: fresh instances, idle, then a sustained fixed-rate load (what an instance serves
  // for a minute), never saturated.
  const steady = await startAll(apps, [BARE, OFF, ON]);
  let idle = new Map<string, number>();
  let loaded = new Map<string, number>();
  try {
    await new Promise((resolve) => setTimeout(resolve, s.idleMs));
    idle = new Map([...steady].map(([n, a]) => [n, rssMb(a.pid)]));
    await load.open({
      targets: [...steady].map(([name, app]) => ({ name, url: `${app.url}/` })),
      ratePerTarget: s.sustainedRate,
      durationMs: s.sustainedMs,
      warmupMs: 0,
    });
    loaded = new Map([...steady].map(([n, a]) => [n, rssMb(a.pid)]));
  } finally {
    await stopAll(steady);
  }
  const r = (m: Map<string, number>, n: string) => m.get(n) ?? Number.NaN;

  const figures: Figure[] = [
    {
      id: 'telemetry.ratio',
      label: 'target throughput, telemetry on / off (always_on, exported to a local collector)',
      value: rps(ON) / rps(OFF),
      unit: '×',
      goal: { op: '>=', limit: 0.75 },
    },
    {
      id: 'telemetry.cpu.ratio',
      label: 'same, from CPU per request (off / on; robust on a busy machine)',
      value: cpuPerReq(OFF) / cpuPerReq(ON),
      unit: '×',
    },
    {
      id: 'rss.idle.ratio',
      label: 'app RSS idle, target (telemetry on) / bare Fastify',
      value: r(idle, ON) / r(idle, BARE),
      unit: '×',
      goal: { op: '<=', limit: 1.5 },
    },
    {
      id: 'rss.load.ratio',
      label: `app RSS after ${s.sustainedMs / 1000} s at ${s.sustainedRate} req/s / idle, target (telemetry on)`,
      value: r(loaded, ON) / r(idle, ON),
      unit: '×',
      goal: { op: '<=', limit: 2 },
    },
    {
      id: 'start.off.ratio',
      label: 'start to first 200, target (telemetry off) / bare Fastify',
      value: start(OFF, 'ms') / start(BARE, 'ms'),
      unit: '×',
      goal: { op: '<=', limit: 1.5 },
    },
    {
      id: 'start.on.ratio',
      label: 'start to first 200, target (telemetry on) / bare Fastify',
      value: start(ON, 'ms') / start(BARE, 'ms'),
      unit: '×',
      goal: { op: '<=', limit: 2 },
    },
    {
      id: 'start.on.cpu.ratio',
      label: 'same, from CPU spent until the first 200 (robust on a busy machine)',
      value: start(ON, 'cpuMs') / start(BARE, 'cpuMs'),
      unit: '×',
    },
  ];
  const details = [
    `App alone, from ${entry}, V8 heap as in a 512 MiB instance (${CLOUD_RUN_HEAP.join(' ')}); closed loop, ${s.connections} connections, ${s.throughputRounds} alternating slices of ${s.sliceMs / 1000} s:`,
    table(
      [
        'app',
        'req/s',
        'CPU µs/req',
        'RSS saturated MB',
        'RSS idle MB',
        `RSS after ${s.sustainedMs / 1000} s MB`,
      ],
      [BARE, OFF, ON].map((n) => [n, rps(n), cpuPerReq(n), r(afterSaturation, n), r(idle, n), r(loaded, n)]),
    ),
    `Start to first 200 (median of ${s.startRounds}, interleaved):`,
    table(
      ['app', 'ms', 'CPU ms', 'RSS MB at first 200'],
      [...starts.keys()].map((n) => [n, start(n, 'ms'), start(n, 'cpuMs'), start(n, 'rssMb')]),
    ),
  ];
  return { figures, details };
}

async function startAll(apps: Map<string, AppSpec>, names: string[]): Promise<Map<string, BenchApp>> {
  const started = new Map<string, BenchApp>();
  try {
    for (const name of names) started.set(name, await startApp(apps.get(name) as AppSpec));
  } catch (err) {
    await stopAll(started);
    throw err;
  }
  return started;
}

function stopAll(apps: Map<string, BenchApp>): Promise<unknown> {
  return Promise.all([...apps.values()].map((a) => a.stop()));
}
