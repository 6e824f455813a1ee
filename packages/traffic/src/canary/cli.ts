// pnpm canary -- --route target --to target-green --steps 1,10,50,100 [--url URL] [--cloud --project P]
// Shifts traffic to a new destination step by step, judging it on live traffic between steps.

import { basename, extname } from 'node:path';
import { commandLine } from '@meshapps/local-mesh/cli-args';
import { checkMeshRoutes } from '@meshapps/local-mesh/live-router';
import { zFor } from '@meshapps/measure';
import {
  ConfigInvalidError,
  checkRoutes,
  formatErrors,
  loadRoutes,
  loadTopology,
  ROUTES_DIR,
  type RouteFile,
  shownPath,
  TOPOLOGY_FILE,
} from '@meshapps/mesh-config';
import { importByHand, importRoute } from './apply.ts';
import { answersToPass } from './gate.ts';
import { type CloudState, EXIT_AFTER, interruptHandler, restoreLines } from './interrupts.ts';
import { lockRoute } from './lock.ts';
import { RouteOwner } from './route-owner.ts';
import { canaryRule, weightsAt, withWeights } from './route-weights.ts';
import { httpTraffic } from './traffic.ts';
import { describeHeld, stepRequests, walkCanary } from './walk.ts';

const USAGE = `usage: pnpm canary -- --route <route> --to <service> --steps 1,10,50,100 [options]
  --route R             route file name or route name (target, target.yaml, route-target)
  --to S                the new destination (a backend service in that route)
  --steps LIST          percent for --to at each step (default 1,10,50,100)
  --url URL             where to drive traffic (default http://127.0.0.1:8080/call/<route host>)
  --cloud --project P   import each step into Cloud Service Mesh (as route CD does); --url required
  --routes DIR          route files (default infra/routes)   --topology FILE (default infra/topology.yaml)
gate (Flagger-like defaults, judged with split:check's statistics):
  --success 99          fail once the new destination's success rate is shown below this (%)
  --floor 95            promote once it is shown to be at least this (%)
  --confidence 0.99     0.9, 0.95, 0.99 or 0.999
  --latency-factor 2    fail once its p90 is shown above this × the old one's …
  --latency-slack 10    … and more than this many ms above it (a cold new release is a bit slower)
  --max-requests 20000  per step; still undecided then = fail (no evidence, no promotion)
  --warm-up N           answers of --to per step counted for success but not timed: its cold start
                        (default 0; with --cloud 20)
  --concurrency 16      --settle-timeout S (default 10, cloud 300): wait for the mesh to serve a step
one canary per route: a second one refuses, naming the first. Ctrl-C puts the previous weights back
and waits until served; a second Ctrl-C, SIGTERM or SIGHUP puts the file back at once; a hand edit
of the route file during the walk stops it and is kept.`;

const cli = commandLine('canary', USAGE, {
  route: { type: 'string' },
  to: { type: 'string' },
  steps: { type: 'string', default: '1,10,50,100' },
  url: { type: 'string' },
  cloud: { type: 'boolean', default: false },
  project: { type: 'string' },
  routes: { type: 'string', default: ROUTES_DIR },
  topology: { type: 'string', default: TOPOLOGY_FILE },
  success: { type: 'string', default: '99' },
  floor: { type: 'string', default: '95' },
  confidence: { type: 'string', default: '0.99' },
  'latency-factor': { type: 'string', default: '2' },
  'latency-slack': { type: 'string', default: '10' },
  'max-requests': { type: 'string', default: '20000' },
  concurrency: { type: 'string', default: '16' },
  'settle-timeout': { type: 'string' },
  'warm-up': { type: 'string' },
  help: { type: 'boolean', default: false },
});
const values = cli.values;

/** Declared so TypeScript knows it never returns. */
function usage(message: string): never {
  return cli.refuse(message);
}

function number(name: string, raw: string, min: number, max: number, integer = false): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    usage(`--${name} wants ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  return n;
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.route) usage('--route is required');
if (!values.to) usage('--to is required');
if (values.cloud && !values.project) usage('--cloud needs --project <project id>');
if (values.cloud && !values.url) usage('--cloud needs --url http://$ELB_IP/call/<route host>');
if (!values.cloud && values.project) usage('--project is for --cloud');

const steps = values.steps.split(',').map((s) => number('steps', s, 0, 100, true));
if (steps.some((s, i) => i > 0 && s <= (steps[i - 1] as number)))
  usage('--steps must go up, e.g. 1,10,50,100');
const success = number('success', values.success, 0, 100) / 100;
const floor = number('floor', values.floor, 0, 100) / 100;
if (floor > success) usage('--floor is what must be shown to promote: at most --success');
let z: number;
try {
  z = zFor(Number(values.confidence));
} catch (err) {
  usage((err as Error).message);
}

let routes: RouteFile[];
try {
  routes = loadRoutes(values.routes, loadTopology(values.topology));
} catch (err) {
  if (err instanceof ConfigInvalidError) usage(`the routes are not valid now:\n${formatErrors(err.errors)}`);
  usage((err as Error).message);
}
const wanted = values.route;
const found = routes.find(
  (r) =>
    r.route.name === wanted ||
    r.route.name === `route-${wanted}` ||
    basename(r.file) === wanted ||
    basename(r.file, extname(r.file)) === wanted,
);
if (!found)
  usage(
    `no route "${wanted}" in ${shownPath(values.routes)} (routes: ${routes.map((r) => r.route.name).join(', ')})`,
  );
const route = found;
const to = values.to;
let rule: ReturnType<typeof canaryRule>;
try {
  rule = canaryRule(route.route, to);
} catch (err) {
  usage((err as Error).message);
}

// Every step's file is checked before anything is written: a step the mesh would refuse never starts.
const topology = loadTopology(values.topology);
const others = routes.filter((r) => r !== route).map(({ file, text }) => ({ file, text }));
for (const percent of steps) {
  const text = withWeights(route.text, rule.rule, weightsAt(rule, to, percent));
  try {
    const files = [...others, { file: route.file, text }];
    if (values.cloud) checkRoutes(files, topology);
    else checkMeshRoutes(files, topology);
  } catch (err) {
    if (err instanceof ConfigInvalidError)
      usage(`step ${percent} % would not be valid:\n${formatErrors(err.errors)}`);
    throw err;
  }
}

// `localhost:8080/…` as curl and split:check accept it: http:// is implied.
const urlText = values.url ?? `http://127.0.0.1:8080/call/${route.route.hostnames[0]}`;
const url = new URL(/^https?:\/\//.test(urlText) ? urlText : `http://${urlText}`);
const concurrency = number('concurrency', values.concurrency, 1, 256, true);
const traffic = httpTraffic(url, concurrency);
const project = values.project;
const settleSeconds = number(
  'settle-timeout',
  values['settle-timeout'] ?? (values.cloud ? '300' : '10'),
  1,
  3600,
);
const gate = {
  z,
  confidence: Number(values.confidence),
  success,
  floor,
  latencyFactor: number('latency-factor', values['latency-factor'], 1, 100),
  latencySlackMs: number('latency-slack', values['latency-slack'], 0, 60_000),
};
const maxRequests = number('max-requests', values['max-requests'], 100, 10_000_000, true);
// On Google Cloud the new release's first answers include its cold start (decision 071).
const warmUp = number('warm-up', values['warm-up'] ?? (values.cloud ? '20' : '0'), 0, 10_000, true);
const needs = steps.map((percent) => ({ percent, requests: stepRequests({ gate }, percent) }));
const tooMany = needs.filter((n) => n.requests > maxRequests);
if (tooMany.length > 0)
  usage(
    `step ${tooMany.map((n) => `${n.percent} %`).join(', ')} cannot pass within --max-requests ${maxRequests}: it needs at least ${tooMany[0]?.requests} requests (raise --max-requests or start at a larger step)`,
  );

// The canary owns its route while it walks: one canary per route file, and the file checked by hash
// before every write (a hand edit stops the walk and stays).
const shownFile = shownPath(route.file);
const lock = lockRoute(route.file, route.route.name);
if (!lock.ok)
  usage(
    `${route.route.name} (${shownPath(lock.holder.file)}) is being walked by another canary: pid ${lock.holder.pid}, started ${lock.holder.started}. Wait for it to finish, or stop it (Ctrl-C in its terminal, or kill ${lock.holder.pid}: it puts the previous weights back)`,
  );
process.once('exit', lock.release);
// The baseline is the text the steps were checked against, not a second read: an edit made since
// then is not taken as what a rollback puts back — the hash check before the first write sees it.
const original = route.text;
const owner = new RouteOwner(route.file, shownFile, original);
const cloud: CloudState | undefined = values.cloud
  ? { project: project as string, imported: original }
  : undefined;
const describe = (text: string) => describeHeld({ rule }, text);

// After SIGHUP the terminal is gone: writing to it must not stop the restore.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
});
const controller = new AbortController();
const importStop = new AbortController();
const onSignal = interruptHandler({
  graceful: () => {
    console.log(
      'canary: interrupted — putting the previous weights back… (Ctrl-C again: put the file back now, without waiting)',
    );
    controller.abort();
  },
  now: (signal) => {
    importStop.abort();
    const previous = owner.previousText;
    const lines = restoreLines(signal, owner.restoreNow(), {
      shownFile,
      previous,
      describe,
      ...(cloud ? { cloud, importByHand: importByHand(cloud.project) } : {}),
    });
    for (const line of lines) console.log(line);
    process.exit(EXIT_AFTER[signal]);
  },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));

console.log(
  `canary: ${route.route.name} (${shownFile}), ${rule.services.filter((s) => s !== to).join('+')} → ${to}, steps ${steps.join(', ')} %${values.cloud ? `, imported into project ${project}` : ''}`,
);
if (lock.stale)
  console.log(
    `  (a lock left by pid ${lock.stale.pid}, started ${lock.stale.started}, which is gone: taken over)`,
  );
console.log(`  traffic: ${url.href}`);
console.log(
  `  gate, at ${Number(values.confidence) * 100} % confidence: fail once ${to}'s success is shown below ${values.success} % (or below the current release's, if that misses ${values.success} % itself), or its p90 above ${values['latency-factor']} × the current release's (and +${values['latency-slack']} ms); pass once its success is shown to be at least ${values.floor} %; at most ${maxRequests} requests per step`,
);
// On Google Cloud a walk takes minutes and its new release starts cold: both said up front. (Locally
// every service already runs and a step takes seconds; the guide's local output stays as it is.)
if (values.cloud || warmUp > 0)
  console.log(
    warmUp > 0
      ? `  cold start: the first ${warmUp} answers of ${to} at each step count for success but are not timed (a new Cloud Run instance starts cold; the current release is warm)`
      : `  cold start: not discounted (--warm-up 0): every answer of ${to} is timed, a cold start's too`,
  );
if (values.cloud)
  for (const line of planLines(needs, answersToPass(floor, z), warmUp, to, concurrency)) console.log(line);

const outcome = await walkCanary(
  {
    routeName: route.route.name,
    shownFile,
    original,
    rule,
    to,
    steps,
    gate,
    maxRequests,
    batch: 200,
    warmUp,
    settleTimeoutMs: settleSeconds * 1000,
    sayRate: values.cloud,
  },
  {
    traffic,
    apply: async (text) => {
      owner.write(text);
      if (!cloud) return;
      cloud.importing = text;
      await importRoute(
        route.route.name,
        route.file,
        text,
        cloud.project,
        (l) => console.log(l),
        importStop.signal,
      );
      cloud.imported = text;
      cloud.importing = undefined;
    },
    check: () => owner.check(),
    print: (line) => console.log(line),
    signal: controller.signal,
  },
);
if (outcome.edited && cloud)
  console.log(
    `  project ${cloud.project}: last imported with ${describe(cloud.imported)}; import your edit with: ${importByHand(cloud.project)}`,
  );
await traffic.close();
process.exit(controller.signal.aborted ? EXIT_AFTER.SIGINT : outcome.ok ? 0 : 1);

/** Up front: how many requests each step needs at least, and about how long from Cloud Shell. */
function planLines(
  needs: { percent: number; requests: number }[],
  clean: number,
  warm: number,
  name: string,
  inFlight: number,
): string[] {
  // Not measured here: Cloud Shell → load balancer → client → target, warm, taken as ~75 ms.
  const cloudRate = inFlight / 0.075;
  const lines = [
    `  each step needs at least ${clean} clean answers of ${name}${warm ? ` (its first ${warm} not timed)` : ''}, so at least:`,
  ];
  for (const n of needs)
    lines.push(
      `    ${String(n.percent).padStart(3)} %: ${n.requests} requests, ~${Math.ceil(n.requests / cloudRate)} s from Cloud Shell`,
    );
  lines.push(
    `    (estimated at ${inFlight} in flight and ~75 ms an answer, ≈ ${Math.round(cloudRate)} req/s; each step prints the rate it sees)`,
  );
  return lines;
}
