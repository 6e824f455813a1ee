// pnpm verify --url http://$ELB_IP [--routes DIR] [--topology FILE] [--concurrency 16] [--timeout 120]
// The organiser's pre-flight: the workshop's demos against a deployed project (or pnpm start),
// each answer compared with what the repository's topology and routes declare.
import { commandLine } from '@meshapps/local-mesh/cli-args';
import {
  ConfigInvalidError,
  formatErrors,
  loadRoutes,
  loadTopology,
  ROUTES_DIR,
  shownPath,
  TOPOLOGY_FILE,
} from '@meshapps/mesh-config';
import { Agent } from 'undici';
import { sendRequests } from '../send.ts';
import { planChecks } from './demos.ts';
import { runVerify } from './run.ts';

const USAGE = `usage: pnpm verify --url http://$ELB_IP [options]
  --url URL          the load balancer (Google Cloud: http://$ELB_IP; this machine: localhost:8080)
  --routes DIR       route files the project was deployed from (default infra/routes)
  --topology FILE    its topology (default infra/topology.yaml)
  --concurrency 16   requests in flight at once
  --timeout 120      seconds for the whole run; checks not run by then are misses`;

const cli = commandLine('verify', USAGE, {
  url: { type: 'string' },
  routes: { type: 'string', default: ROUTES_DIR },
  topology: { type: 'string', default: TOPOLOGY_FILE },
  concurrency: { type: 'string', default: '16' },
  timeout: { type: 'string', default: '120' },
  help: { type: 'boolean', default: false },
});
const values = cli.values;
/** Declared so TypeScript knows it never returns. */
function refuse(message: string): never {
  return cli.refuse(message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.url) refuse('--url is required (the load balancer, e.g. http://$ELB_IP)');
const wholeNumber = (name: string, raw: string, max: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) refuse(`--${name} wants a whole number from 1 to ${max}`);
  return n;
};
const concurrency = wholeNumber('concurrency', values.concurrency, 256);
const timeoutS = wholeNumber('timeout', values.timeout, 3600);
// `localhost:8080` as curl accepts it: http:// is implied. Only the origin counts.
let base: URL;
try {
  base = new URL(/^https?:\/\//.test(values.url as string) ? (values.url as string) : `http://${values.url}`);
} catch {
  refuse(`--url "${values.url}" is not a URL`);
}
if (base.pathname !== '/' || base.search)
  refuse(`--url is the load balancer itself (e.g. http://$ELB_IP), not a path on it: ${base.href}`);

let plan: ReturnType<typeof planChecks>;
try {
  const topology = loadTopology(values.topology);
  plan = planChecks({ topology, routes: loadRoutes(values.routes, topology) });
} catch (err) {
  if (err instanceof ConfigInvalidError) refuse(`the files are not valid:\n${formatErrors(err.errors)}`);
  refuse((err as Error).message);
}

const limit = new AbortController();
const timer = setTimeout(() => limit.abort(), timeoutS * 1000);
process.once('SIGINT', () => {
  console.log('verify: interrupted');
  limit.abort();
});
const dispatcher = new Agent({ connections: concurrency });
console.log(
  `verify: ${base.origin} — the demos as ${shownPath(values.topology)} and ${shownPath(values.routes)} declare them; ${concurrency} requests at a time, at most ${timeoutS} s`,
);
const outcome = await runVerify(plan, {
  send: (path, n, headers, onAnswer) =>
    sendRequests(new URL(path, base), n, {
      dispatcher,
      concurrency,
      headers,
      signal: limit.signal,
      onAnswer,
    }),
  print: (line) => console.log(line),
  clock: () => performance.now(),
  signal: limit.signal,
});
clearTimeout(timer);
await dispatcher.close();
process.exit(outcome.ok ? 0 : 1);
