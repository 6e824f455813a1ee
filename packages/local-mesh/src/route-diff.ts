import { backendServiceName, type Destination, type RouteFile, type RouteRule } from '@meshapps/mesh-config';

/**
 * What changed between two sets of routes, one phrase per route, for the line the mesh prints:
 * `route-target  target 99 → 90, target-green 1 → 10`. A change that is only text (comments,
 * layout) changes nothing and yields no phrase.
 */
export function describeRouteChanges(before: readonly RouteFile[], after: readonly RouteFile[]): string[] {
  const old = new Map(before.map((r) => [r.route.name, r]));
  const now = new Map(after.map((r) => [r.route.name, r]));
  const phrases: string[] = [];
  for (const [name, r] of old) {
    if (!now.has(name)) {
      const hosts = r.route.hostnames.join(', ');
      phrases.push(
        `${name}  removed (${hosts} now ${r.route.hostnames.length > 1 ? 'answer' : 'answers'} 404)`,
      );
    }
  }
  for (const [name, r] of now) {
    const was = old.get(name);
    if (!was) phrases.push(`${name}  added (${r.route.hostnames.join(', ')})`);
    else {
      const changes = routeChanges(was, r);
      if (changes.length > 0) phrases.push(`${name}  ${changes.join(', ')}`);
    }
  }
  return phrases;
}

function routeChanges(was: RouteFile, now: RouteFile): string[] {
  const changes: string[] = [];
  if (!same(was.route.hostnames, now.route.hostnames))
    changes.push(`hostnames ${was.route.hostnames.join(' ')} → ${now.route.hostnames.join(' ')}`);
  const rules = Math.max(was.route.rules.length, now.route.rules.length);
  for (let i = 0; i < rules; i++) {
    const a = was.route.rules[i];
    const b = now.route.rules[i];
    if (!a || !b || !sameShape(a, b)) {
      if (!same(a, b)) changes.push(`rules[${i}] changed`);
      continue;
    }
    const destinations = b.action?.destinations ?? [];
    destinations.forEach((d, j) => {
      const before = a.action?.destinations?.[j]?.weight;
      if (before !== d.weight) changes.push(`${serviceOf(d)} ${shown(before)} → ${shown(d.weight)}`);
    });
  }
  if (changes.length === 0 && !same(was.route, now.route)) changes.push('fields changed');
  return changes;
}

/** Same matches, same destinations in the same order, same everything but the weights. */
function sameShape(a: RouteRule, b: RouteRule): boolean {
  const unweighted = (r: RouteRule) => ({
    ...r,
    action: { ...r.action, destinations: r.action?.destinations?.map(({ weight: _, ...d }) => d) },
  });
  return same(unweighted(a), unweighted(b));
}

function serviceOf(d: Destination): string {
  return backendServiceName(d.serviceName) ?? d.serviceName;
}

function shown(weight: number | undefined): string {
  return weight === undefined ? '(no weight)' : String(weight);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
