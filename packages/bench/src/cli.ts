// pnpm bench — every performance figure of the project beside its goal, from one run.
// Timing goals live here, never in tests (a test only checks this report's shape, see test/).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startTraceViewer } from '@meshapps/trace-viewer';
import { appAlonePhase } from './app-alone.ts';
import { hopCpuPhase } from './hop-cpu.ts';
import { buildImages, footprintFigures, type Images, largestPackages } from './image.ts';
import { LoadGenerator } from './load.ts';
import { latencyPhase, SCENARIOS, throughputPhase } from './mesh-scenarios.ts';
import { type Figure, goalsTable, verdict } from './report.ts';
import { SETTINGS } from './settings.ts';
import { startStack } from './stack.ts';
import { stackMemoryPhase } from './stack-memory.ts';

const USAGE = `usage: pnpm bench [-- options]
  --quick        a few seconds, no image build: checks that every figure can be produced
  --only PHASES  comma-separated subset of: mesh (latency, throughput, stack start),
                 app (the app alone: throughput, memory, start-up), image (image builds, footprint)
  --json FILE    also write the report as JSON`;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const settings = values.quick ? SETTINGS.quick : SETTINGS.full;
const PHASES = ['mesh', 'app', 'image'] as const;
const only = new Set((values.only ?? PHASES.join(',')).split(',').map((p) => p.trim()));
for (const p of only) {
  if (!(PHASES as readonly string[]).includes(p)) {
    console.error(`pnpm bench: unknown phase "${p}" in --only (${PHASES.join(', ')})\n${USAGE}`);
    process.exit(2);
  }
}
const run = (phase: (typeof PHASES)[number]) => only.has(phase);
const say = (line: string) => console.error(`bench: ${line}`);
const APPS = ['client', 'proxy', 'target'] as const;

const load0 = loadavg()[0] ?? 0;
const figures: Figure[] = [];
const details: string[] = [];
const report = (part: { figures: Figure[]; details: string[] }) => {
  figures.push(...part.figures);
  details.push(...part.details);
};
let images: Images | undefined;
const load = new LoadGenerator();
try {
  // The image builds come first: they are the heaviest work and must not overlap a measurement.
  if (settings.images && run('image')) images = buildImages(APPS, say);
  if (run('mesh')) report(await meshPhases());
  if (run('app')) report(await appPhases(images));
  if (run('image')) report(imagePhase(images));
} finally {
  load.close();
  images?.remove();
}

const machine = {
  node: process.version,
  cpus: cpus().length,
  loadAverageBefore: load0,
  loadAverageAfter: loadavg()[0] ?? 0,
};
console.log(
  `\npnpm bench${values.quick ? ' --quick (shape only: figures from a few seconds are not results)' : ''}`,
);
console.log(
  `node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadAverageBefore.toFixed(1)} before / ${machine.loadAverageAfter.toFixed(1)} after` +
    // The bench alone keeps about two cores busy; more than that is someone else's work.
    (Math.max(machine.loadAverageBefore, machine.loadAverageAfter) > machine.cpus + 1
      ? '  (busy machine: trust ratios and CPU figures over absolute times)'
      : ''),
);
console.log(`\n${goalsTable(figures)}\n\n${details.join('\n\n')}`);
const failed = figures.filter((f) => verdict(f) === 'FAIL').length;
const unreliable = figures.filter((f) => f.goal && verdict(f) === 'unreliable').length;
console.log(
  `\n${figures.filter((f) => f.goal).length} goals: ${failed} not met, ${unreliable} unreliable (noise as large as the figure: see its note)`,
);
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ quick: values.quick, machine, figures: figures.map((f) => ({ ...f, verdict: verdict(f) })), details }, null, 2)}\n`,
  );
}

/** Mesh and direct must say the same thing, or the comparison compares different work. */
function checkSameAnswers(bodies: Record<string, string>): void {
  const pairs = [
    [SCENARIOS.direct1, SCENARIOS.mesh1],
    [SCENARIOS.direct2, SCENARIOS.mesh2],
  ] as const;
  for (const [direct, mesh] of pairs) {
    if (bodies[direct] !== bodies[mesh]) {
      throw new Error(`"${direct}" answered ${bodies[direct]} but "${mesh}" answered ${bodies[mesh]}`);
    }
  }
}

/** The stack's memory, its start-up, then latency and throughput: mesh hop against the same hop wired directly. */
async function meshPhases(): Promise<{ figures: Figure[]; details: string[] }> {
  say("pnpm start as a process, idle: every process's memory…");
  const memory = await stackMemoryPhase(settings.stack);
  say('starting the local mesh (as pnpm start does) and the direct-wired client and proxy…');
  const stack = await startStack();
  try {
    const ready: Figure = {
      id: 'stack.ready',
      label: 'whole stack ready (pnpm start: every service answers /healthz)',
      value: stack.readyMs / 1000,
      unit: 's',
      goal: { op: '<=', limit: 3 },
      note: stack.warmCache ? 'compile cache warm' : 'first start: compile cache cold',
    };
    say('latency: open loop, scenarios interleaved…');
    const latency = await latencyPhase(stack, load, settings.latency);
    checkSameAnswers(latency.bodies);
    say('throughput: closed loop, alternating slices…');
    const throughput = await throughputPhase(stack, load, settings.throughput);
    say(`mesh CPU per hop: ${settings.hopCpu.rate} req/s through a sidecar, then through a bare proxy…`);
    const hopCpu = await hopCpuPhase(stack, load, settings.hopCpu);
    return {
      figures: [ready, ...memory.figures, ...hopCpu.figures, ...latency.figures, ...throughput.figures],
      details: [...memory.details, ...latency.details, ...throughput.details, ...hopCpu.details],
    };
  } finally {
    await stack.stop();
  }
}

/** The app alone, from the image when it was built, with a collector of its own. */
async function appPhases(built: Images | undefined): Promise<{ figures: Figure[]; details: string[] }> {
  say('the app alone: start-up, throughput, memory…');
  const collector = await startTraceViewer({ host: '127.0.0.1', port: 0 });
  try {
    return await appAlonePhase(load, built?.byApp.get('target'), collector.otlpEndpoint, settings.app);
  } finally {
    await collector.close();
  }
}

function imagePhase(built: Images | undefined): { figures: Figure[]; details: string[] } {
  const result = { figures: footprintFigures(built, APPS), details: [] as string[] };
  const target = built?.byApp.get('target');
  if (!target) return result;
  result.figures.push({
    id: 'image.size',
    label: 'image size: node:24-slim + the target app layer (base not measured here: no Docker)',
    value: result.figures.find((f) => f.id === 'footprint.target')?.value ?? null,
    unit: 'MB',
    note: 'plus the base image',
  });
  result.details.push(
    'Largest packages in the target image (MB):',
    largestPackages(target.appDir, 8)
      .map(([name, bytes]) => `  ${(bytes / 1e6).toFixed(2).padStart(6)}  ${name}`)
      .join('\n'),
  );
  return result;
}
