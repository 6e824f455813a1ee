import {
  backendServiceName,
  type Destination,
  type HeaderModifier,
  type RouteFile,
} from '@meshapps/mesh-config';
import { type LocalAnswer, localAnswer } from './local-answer.ts';
import { type HopPolicy, hopPolicy } from './resilience.ts';
import { matchingEntry, type RequestFacts } from './route-match.ts';

export interface RouteDecision {
  route: string;
  /** The topology service the chosen backend service stands for. */
  service: string;
  requestHeaders: HeaderModifier[];
  responseHeaders: HeaderModifier[];
  /** Timeout, retries and this request's fault dice; absent when the rule sets none of them. */
  policy?: HopPolicy;
}

/** Forward to a service, or answer here: no route (404), or a rule that answers itself. */
export type RouteResult = { ok: true; decision: RouteDecision } | ({ ok: false } & LocalAnswer);

/**
 * The mesh's routing table, built from the very HTTPRoute files the cloud imports:
 * hostname → first matching rule → weighted destination → backend service → service.
 */
export class Router {
  private readonly exact = new Map<string, RouteFile>();
  private readonly wildcard: [suffix: string, route: RouteFile][] = [];
  private readonly random: () => number;

  constructor(routes: readonly RouteFile[], random: () => number = Math.random) {
    this.random = random;
    for (const r of routes) {
      for (const h of r.route.hostnames) {
        if (h.startsWith('*.')) this.wildcard.push([h.slice(1), r]);
        else this.exact.set(h, r);
      }
    }
    // Longest wildcard suffix first, so the most specific route wins.
    this.wildcard.sort((a, b) => b[0].length - a[0].length);
  }

  resolve(host: string, req: RequestFacts): RouteResult {
    const name = host.replace(/:\d+$/, '').toLowerCase();
    const file = this.exact.get(name) ?? this.wildcard.find(([suffix]) => name.endsWith(suffix))?.[1];
    if (!file) return { ok: false, ...notFound(`no route for host "${name}" in the mesh`) };
    let matched: ReturnType<typeof matchingEntry>;
    const index = file.route.rules.findIndex((r) => {
      matched = matchingEntry(r.matches, req);
      return matched !== undefined;
    });
    const rule = file.route.rules[index];
    if (!rule || matched === undefined) {
      return { ok: false, ...notFound(`no rule of ${file.route.name} matches this request to "${name}"`) };
    }
    // A rule that answers itself (directResponse, redirect, a fault abort, no destinations).
    const action = rule.action;
    const answer = localAnswer(rule, file.route.name, { host: name, req, matched }, this.random);
    if (answer || !action?.destinations) {
      const local = answer ?? noDestination(file.route.name, index);
      // Envoy applies the route's response header rules to the answers it makes itself too
      // (direct responses, redirects, local replies once a route is chosen: envoy#13204).
      applyHeaderModifiers(local.headers, [action?.responseHeaderModifier].filter(isSet));
      return { ok: false, ...local };
    }
    const dest = this.pick(action.destinations);
    const policy = hopPolicy(action, this.random);
    return {
      ok: true,
      decision: {
        route: file.route.name,
        service: backendServiceName(dest.serviceName) ?? dest.serviceName,
        requestHeaders: [action.requestHeaderModifier, dest.requestHeaderModifier].filter(isSet),
        responseHeaders: [action.responseHeaderModifier, dest.responseHeaderModifier].filter(isSet),
        ...(policy ? { policy } : {}),
      },
    };
  }

  /** share = weight / sum of weights; no weights means equal shares. */
  private pick(destinations: readonly Destination[]): Destination {
    const weights = destinations.map((d) => d.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.random() * total;
    for (let i = 0; i < destinations.length; i++) {
      x -= weights[i] ?? 0;
      if (x < 0 && (weights[i] ?? 0) > 0) return destinations[i] as Destination;
    }
    // Floating-point edge: the last destination with weight.
    return destinations.findLast((_, i) => (weights[i] ?? 0) > 0) ?? (destinations[0] as Destination);
  }
}

function notFound(reason: string): LocalAnswer {
  return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${reason}\n` };
}

/** A rule with no destinations and nothing else to do: as Envoy's "no cluster" (NC), 503. */
function noDestination(route: string, index: number): LocalAnswer {
  return {
    status: 503,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: `rules[${index}] of ${route} has no destinations: nothing to forward this request to\n`,
    route,
    flags: 'NC',
  };
}

function isSet<T>(v: T | undefined): v is T {
  return v !== undefined;
}

/** Applies route header modifiers in order: set, then add, then remove. */
export function applyHeaderModifiers(
  headers: Record<string, string | string[] | undefined>,
  modifiers: readonly HeaderModifier[],
): void {
  for (const m of modifiers) {
    for (const [k, v] of Object.entries(m.set ?? {})) headers[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(m.add ?? {})) {
      const key = k.toLowerCase();
      const prev = headers[key];
      headers[key] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
    }
    for (const k of m.remove ?? []) delete headers[k.toLowerCase()];
  }
}
