import { ruleMatches } from '@meshapps/local-mesh/route-match';
import { backendServiceName, findService, type RouteFile, type Topology } from '@meshapps/mesh-config';

/** The repository's own files, as the deployed project was built from them. */
export interface MeshFiles {
  topology: Topology;
  routes: readonly RouteFile[];
}

/** What one answer should be: the chain's message, or an error status at a named hop. */
export type Outcome = { status: 200; message: string } | { status: number; hop: string };

export interface ExpectedOutcome {
  /** How the answer is shown and counted, e.g. `client <- proxy <- target1` or `403 at client -> target1.…`. */
  key: string;
  outcome: Outcome;
  /** Its share of answers (1 for a call with one possible answer). */
  share: number;
  /** Why, from the files: `route-target23 rule 0: target2 weight 50 of 100`, `target1 invokers: proxy`. */
  because: string;
}

/** An expectation the files cannot give: the demo's premise fails in the repository itself. */
export class NotModelled extends Error {}

/** Route-action fields that do not change who answers or with what: verify models the rest by refusing. */
const NEUTRAL_ACTION = new Set([
  'destinations',
  'timeout',
  'idleTimeout',
  'retryPolicy',
  'requestHeaderModifier',
  'responseHeaderModifier',
  'corsPolicy',
  'requestMirrorPolicy',
]);

function outcomeKey(o: Outcome): string {
  return 'message' in o ? o.message : `${o.status} at ${o.hop}`;
}

/** The one service behind the load balancer (`entry: load-balancer` in the topology). */
function entryService(topology: Topology): string {
  const entries = topology.services.filter((s) => s.entry === 'load-balancer');
  if (entries.length !== 1)
    throw new NotModelled(
      `the topology has ${entries.length} services with entry: load-balancer (${entries.map((s) => s.name).join(', ') || 'none'}); verify calls through exactly one`,
    );
  return (entries[0] as { name: string }).name;
}

/**
 * Every answer `GET /call/<hops…>` through the load balancer may give, with its share, derived from
 * the topology (who may invoke whom) and the routes (hostname → first matching rule → weighted
 * destinations) — never from a second copy of either. A hop whose callee does not list the caller
 * in `invokers` answers 403 (IAM), named by the hop as the calling service reports it.
 */
export function expectCall(
  files: MeshFiles,
  hops: readonly string[],
  headers: Record<string, string> = {},
): ExpectedOutcome[] {
  const entry = entryService(files.topology);
  const found = new Map<string, ExpectedOutcome>();
  const add = (outcome: Outcome, share: number, because: string[]) => {
    const key = outcomeKey(outcome);
    const seen = found.get(key);
    if (seen) seen.share += share;
    else found.set(key, { key, outcome, share, because: because.join('; ') });
  };
  const walk = (caller: string, chain: string[], rest: readonly string[], share: number, why: string[]) => {
    const host = rest[0] as string;
    const hop = `${caller} -> ${host}`;
    const path = rest.length > 1 ? `/call/${rest.slice(1).join('/')}` : '/';
    const route = files.routes.find((r) => r.route.hostnames.includes(host));
    if (!route) {
      add({ status: 404, hop }, share, [...why, `no route file has hostname ${host}`]);
      return;
    }
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const index = route.route.rules.findIndex((r) =>
      ruleMatches(r.matches, { path, headers: lower, query: '' }),
    );
    const rule = route.route.rules[index];
    if (!rule) {
      add({ status: 404, hop }, share, [...why, `no rule of ${route.route.name} matches`]);
      return;
    }
    const unmodelled = Object.keys(rule.action ?? {}).filter((k) => !NEUTRAL_ACTION.has(k));
    const destinations = rule.action?.destinations ?? [];
    if (unmodelled.length > 0 || destinations.length === 0)
      throw new NotModelled(
        `${route.route.name} rule ${index} has ${unmodelled.join(', ') || 'no destinations'}: verify expects only what destinations decide`,
      );
    const weights = destinations.map((d) => d.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    destinations.forEach((d, i) => {
      const w = weights[i] ?? 0;
      if (w === 0 || total === 0) return;
      const service = backendServiceName(d.serviceName) ?? d.serviceName;
      const weighted =
        destinations.length > 1
          ? `${route.route.name} rule ${index}: ${service} weight ${w} of ${total}`
          : `${route.route.name} → ${service}`;
      const spec = findService(files.topology, service);
      if (!spec)
        throw new NotModelled(`${route.route.name} names ${service}, which the topology does not have`);
      if (!spec.invokers.includes(caller)) {
        add({ status: 403, hop }, (share * w) / total, [
          ...why,
          weighted,
          `${service} invokers: ${spec.invokers.join(', ') || 'none'} (not ${caller})`,
        ]);
        return;
      }
      const next = [...chain, service];
      if (rest.length === 1)
        add({ status: 200, message: next.join(' <- ') }, (share * w) / total, [...why, weighted]);
      else walk(service, next, rest.slice(1), (share * w) / total, [...why, weighted]);
    });
  };
  walk(entry, [entry], hops, 1, []);
  return [...found.values()];
}
