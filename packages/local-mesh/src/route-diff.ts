import {
  backendServiceName,
  clip,
  type Destination,
  type RouteFile,
  type RouteRule,
} from '@meshapps/mesh-config';

/** The most the "routes applied" line says per route, and in all (a 10,000-rule route: one line). */
const MAX_CHANGES_PER_ROUTE = 8;
const MAX_LINE = 1000;

/** The line the mesh prints when an edit applies: every change named, within MAX_LINE characters. */
export function appliedLine(before: readonly RouteFile[], after: readonly RouteFile[]): string {
  const changes = describeRouteChanges(before, after);
  return clip(
    `routes applied: ${changes.length > 0 ? changes.join('; ') : 'no change to routing'}`,
    MAX_LINE,
  );
}

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
  const changedRules: number[] = [];
  for (let i = 0; i < rules; i++) {
    const a = was.route.rules[i];
    const b = now.route.rules[i];
    if (!a || !b || !sameShape(a, b)) {
      if (!same(a, b)) changedRules.push(i);
      continue;
    }
    const destinations = b.action?.destinations ?? [];
    destinations.forEach((d, j) => {
      const before = a.action?.destinations?.[j]?.weight;
      if (before !== d.weight) changes.push(`${serviceOf(d)} ${shown(before)} → ${shown(d.weight)}`);
    });
  }
  changes.push(...ranges(changedRules).map((r) => `rules[${r}] changed`));
  if (changes.length === 0 && !same(was.route, now.route)) changes.push('fields changed');
  if (changes.length <= MAX_CHANGES_PER_ROUTE) return changes;
  return [
    ...changes.slice(0, MAX_CHANGES_PER_ROUTE),
    `and ${changes.length - MAX_CHANGES_PER_ROUTE} more changes`,
  ];
}

/** [0, 1, 2, 5] → ["0–2", "5"]: consecutive rule numbers as one range. */
function ranges(indexes: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === (indexes[j] as number) + 1) j++;
    out.push(i === j ? `${indexes[i]}` : `${indexes[i]}–${indexes[j]}`);
    i = j + 1;
  }
  return out;
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
