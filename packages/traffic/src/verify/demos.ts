import { requestsToSee, requestsToTell, zFor } from '@meshapps/measure';
import { type ExpectedOutcome, expectCall, type MeshFiles, NotModelled } from './expect.ts';

/**
 * The workshop's demos as calls through the load balancer. Only *which* calls is written here (the
 * guide's curls); what each should answer is derived from the topology and routes (expect.ts).
 */
export interface DemoCall {
  demo: 1 | 3 | 4;
  title: string;
  /** Hostnames after `/call/`, as labels under the mesh domain: ['proxy', 'target1']. */
  hops: string[];
  /** What the demo needs the files to declare. */
  shows: 'chain' | 'refusal' | 'split' | 'header';
}

export const DEMOS: readonly DemoCall[] = [
  { demo: 1, title: 'a plain GET through the mesh', hops: ['proxy'], shows: 'chain' },
  { demo: 1, title: 'a chain of two hops', hops: ['proxy', 'target1'], shows: 'chain' },
  { demo: 3, title: 'IAM: a call the topology forbids answers 403', hops: ['target1'], shows: 'refusal' },
  { demo: 4, title: 'weighted split', hops: ['target23'], shows: 'split' },
  { demo: 4, title: 'canary split', hops: ['target'], shows: 'split' },
  { demo: 4, title: 'header A/B', hops: ['ab'], shows: 'header' },
];

/** Statistics of the pre-flight: each check decides at this confidence. */
export const CONFIDENCE = 0.999;
export const Z = zFor(CONFIDENCE);
/** A fault on this share of a call's answers shows up within its requests (31 at 99.9 %). */
export const FAULT_SHARE = 0.2;
/** A split this many points away from the declared one falls outside its interval (249 for 50:50). */
export const SPLIT_SHIFT = 0.2;

/** One call to make: URL path, headers, what should come back, and how many requests decide it. */
export interface Check {
  call: DemoCall;
  /** e.g. `/call/proxy.meshapps.internal/target1.meshapps.internal` */
  path: string;
  headers: Record<string, string>;
  expected: ExpectedOutcome[];
  requests: number;
  /** The route serving the last hostname, e.g. route-target23. */
  route?: string;
  /** For a request without headers that an A/B demo also sends: `no x-variant header`. */
  variant?: string;
}

/** A demo the repository's files do not hold (e.g. no call is forbidden): a miss before any request. */
export interface PremiseMiss {
  call: DemoCall;
  path: string;
  reason: string;
}

/** The checks each demo needs, from the files; or why the files cannot show that demo. */
export function planChecks(files: MeshFiles, demos: readonly DemoCall[] = DEMOS): (Check | PremiseMiss)[] {
  return demos.flatMap((call): (Check | PremiseMiss)[] => {
    const hosts = call.hops.map((h) => `${h}.${files.topology.mesh.domain}`);
    const path = `/call/${hosts.join('/')}`;
    // The route the demo is about: the one serving its last hostname.
    const route = files.routes.find((r) => r.route.hostnames.includes(hosts.at(-1) as string));
    try {
      if (call.shows !== 'header')
        return [check(call, path, {}, expectCall(files, hosts), route?.route.name)];
      const variants = headerVariants(route?.route.rules ?? []);
      if (!route || variants.length === 0)
        throw new NotModelled(`no route for ${hosts.at(-1)} has a rule matching an exact header value`);
      const names = [...new Set(variants.flatMap((h) => Object.keys(h)))].join(', ');
      const checks = [...variants, {}].map((h) => ({
        ...check(call, path, h, expectCall(files, hosts, h), route.route.name),
        ...(Object.keys(h).length === 0 ? { variant: `no ${names} header` } : {}),
      }));
      const answers = new Set(checks.map((c) => c.expected.map((e) => e.key).join()));
      if (answers.size < 2)
        throw new NotModelled(`${route.route.name} sends every variant to the same answer: nothing to A/B`);
      return checks;
    } catch (err) {
      if (err instanceof NotModelled) return [{ call, path, reason: err.message }];
      throw err;
    }
  });
}

function check(
  call: DemoCall,
  path: string,
  headers: Record<string, string>,
  expected: ExpectedOutcome[],
  route?: string,
): Check {
  const premise = premiseProblem(call, expected);
  if (premise) throw new NotModelled(premise);
  const answers = expected.map((e) => e.share);
  const requests =
    answers.length === 1
      ? requestsToSee(FAULT_SHARE, CONFIDENCE)
      : Math.max(
          requestsToSee(Math.min(...answers), CONFIDENCE),
          ...answers.map((s) => requestsToTell(s, SPLIT_SHIFT, Z)),
        );
  return { call, path, headers, expected, requests, ...(route ? { route } : {}) };
}

function premiseProblem(call: DemoCall, expected: readonly ExpectedOutcome[]): string | undefined {
  const ok = expected.filter((e) => e.outcome.status === 200);
  const one = expected[0];
  switch (call.shows) {
    case 'chain':
    case 'header':
      return expected.length === 1 && ok.length === 1
        ? undefined
        : `the files make this call answer ${describe(expected)}, not one chain`;
    case 'refusal':
      return expected.length === 1 && one?.outcome.status === 403
        ? undefined
        : `the topology lets this call through (${describe(expected)}): the demo needs a call IAM refuses`;
    case 'split':
      return ok.length >= 2 && ok.length === expected.length
        ? undefined
        : `the files make this call answer ${describe(expected)}, not a split between services`;
  }
}

function describe(expected: readonly ExpectedOutcome[]): string {
  return expected.map((e) => `${e.key} (${(e.share * 100).toFixed(1)} %)`).join(', ');
}

/** For each rule matching only on exact header values: the headers that select it. */
function headerVariants(
  rules: readonly { matches?: { headers?: { header: string; exactMatch?: string }[] }[] }[],
): Record<string, string>[] {
  return rules.flatMap((rule) => {
    const match = rule.matches?.[0];
    const headers = match?.headers ?? [];
    if (!match || Object.keys(match).some((k) => k !== 'headers') || headers.length === 0) return [];
    if (headers.some((h) => h.exactMatch === undefined || Object.keys(h).length !== 2)) return [];
    return [Object.fromEntries(headers.map((h) => [h.header, h.exactMatch as string]))];
  });
}
