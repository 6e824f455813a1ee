// pnpm bench — every performance figure of the project beside its goal, from one run.
// Timing goals live here, never in tests (a test only checks this report's shape, see test/).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startTraceViewer } from '@meshapps/trace-viewer';
import { appAlonePhase } from './app-alone.ts';
import { buildImages, footprintFigures, type Images, largestPackages } from './image.ts';
import { LoadGenerator } from './load.ts';
import { latencyPhase, SCENARIOS, throughputPhase } from './mesh-scenarios.ts';
import { type Figure, goalsTable, verdict } from './report.ts';
import { SETTINGS } from './settings.ts';
import { startStack } from './stack.ts';

const USAGE = `usage: pnpm bench [-- options]
  --quick        a few seconds, no image build: checks that every figure can be produced
  --json FILE    also write the report as JSON`;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const settings = values.quick ? SETTINGS.quick : SETTINGS.full;
const say = (line: string) => console.error(`bench: ${line}`);
const APPS = ['client', 'proxy', 'target'] as const;

const load0 = loadavg()[0] ?? 0;
const figures: Figure[] = [];
const details: string[] = [];
let images: Images | undefined;
const load = new LoadGenerator();
try {
  // The image builds come first: they are the heaviest work and must not overlap a measurement.
  if (settings.images) images = buildImages(APPS, say);

  say('starting the local mesh (as pnpm start does) and the direct-wired client and proxy…');
  const stack = await startStack();
  try {
    figures.push({
      id: 'stack.ready',
      label: 'whole stack ready (pnpm start: every service answers /healthz)',
      value: stack.readyMs / 1000,
      unit: 's',
      goal: { op: '<=', limit: 3 },
      note: stack.warmCache ? 'compile cache warm' : 'first start: compile cache cold',
    });
    say('latency: open loop, scenarios interleaved…');
    const latency = await latencyPhase(stack, load, settings.latency);
    checkSameAnswers(latency.bodies);
    figures.push(...latency.figures);
    details.push(...latency.details);
    say('throughput: closed loop, alternating slices…');
    const throughput = await throughputPhase(stack, load, settings.throughput);
    figures.push(...throughput.figures);
    details.push(...throughput.details);
  } finally {
    await stack.stop();
  }

  say('the app alone: start-up, throughput, memory…');
  const collector = await startTraceViewer({ host: '127.0.0.1', port: 0 });
  try {
    const alone = await appAlonePhase(
      load,
      images?.byApp.get('target'),
      collector.otlpEndpoint,
      settings.app,
    );
    figures.push(...alone.figures);
    details.push(...alone.details);
  } finally {
    await collector.close();
  }

  figures.push(...footprintFigures(images, APPS));
  if (images) {
    const target = images.byApp.get('target');
    figures.push({
      id: 'image.size',
      label: 'image size: node:24-slim + the target app layer (base not measured here: no Docker)',
      value: target ? (footprintFigures(images, ['target'])[0]?.value ?? null) : null,
      unit: 'MB',
      note: 'plus the base image',
    });
    if (target) {
      details.push(
        'Largest packages in the target image (MB):',
        largestPackages(target.appDir, 8)
          .map(([name, bytes]) => `  ${(bytes / 1e6).toFixed(2).padStart(6)}  ${name}`)
          .join('\n'),
      );
    }
  }
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
console.log(`\n${figures.filter((f) => f.goal).length} goals: ${failed} not met`);
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
