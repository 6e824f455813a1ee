import { backendServiceName, type HttpRoute } from '@meshapps/mesh-config';
import { isScalar, parseDocument } from 'yaml';

/** The rule a canary shifts weight in, and its destinations (service names, current weights). */
export interface CanaryRule {
  rule: number;
  services: string[];
  weights: (number | undefined)[];
}

/**
 * The one rule whose destinations hold both `to` and at least one other service: weight moves
 * between them. Anything else is refused with what to change, never guessed.
 */
export function canaryRule(route: HttpRoute, to: string): CanaryRule {
  const candidates = route.rules.flatMap((rule, i) => {
    const services = (rule.action?.destinations ?? []).map(
      (d) => backendServiceName(d.serviceName) ?? d.serviceName,
    );
    return services.includes(to) && services.length > 1
      ? [{ rule: i, services, weights: (rule.action?.destinations ?? []).map((d) => d.weight) }]
      : [];
  });
  if (candidates.length === 1) return candidates[0] as CanaryRule;
  if (candidates.length > 1) {
    throw new Error(
      `${route.name}: rules ${candidates.map((c) => c.rule).join(' and ')} both split between ${to} and others; a canary shifts one rule`,
    );
  }
  throw new Error(
    `${route.name} has no rule with ${to} beside another destination: add ${to} to the rule with weight: 0 first`,
  );
}

/**
 * Weights at `percent` % for `to`: the others share the rest in proportion to their current weights
 * (equal when unweighted); whole numbers adding up to 100 (largest remainder).
 */
export function weightsAt(rule: CanaryRule, to: string, percent: number): number[] {
  const others = rule.services.map((s, i) => (s === to ? 0 : (rule.weights[i] ?? 1)));
  const othersTotal = others.reduce((a, b) => a + b, 0);
  const rest = 100 - percent;
  const exact = others.map((w, i) =>
    rule.services[i] === to
      ? percent
      : othersTotal > 0
        ? (rest * w) / othersTotal
        : rest / (others.length - 1),
  );
  const floored = exact.map(Math.floor);
  let missing = 100 - floored.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of byRemainder) {
    if (missing <= 0) break;
    floored[i] = (floored[i] ?? 0) + 1;
    missing--;
  }
  return floored;
}

/** The weights of rule `rule`'s destinations in a route text; undefined if it is not such a route. */
export function weightsIn(text: string, rule: number): (number | undefined)[] | undefined {
  try {
    const destinations = parseDocument(text).toJS()?.rules?.[rule]?.action?.destinations;
    if (!Array.isArray(destinations)) return undefined;
    return destinations.map((d: { weight?: unknown }) =>
      typeof d?.weight === 'number' ? d.weight : undefined,
    );
  } catch {
    return undefined;
  }
}

/** "target 90, target-green 10" */
export function describeWeights(rule: CanaryRule, weights: readonly (number | undefined)[]): string {
  return rule.services.map((s, i) => `${s} ${weights[i] ?? '(no weight)'}`).join(', ');
}

/**
 * The route file's text with new weights in one rule. Existing `weight:` values are replaced where
 * they stand, so `git diff` shows exactly those numbers; missing ones are added by the YAML writer.
 */
export function withWeights(text: string, rule: number, weights: readonly number[]): string {
  const doc = parseDocument(text);
  const path = (i: number) => ['rules', rule, 'action', 'destinations', i, 'weight'];
  const nodes = weights.map((_, i) => doc.getIn(path(i), true));
  if (nodes.every((n) => isScalar(n) && n.range)) {
    // Right to left, so earlier offsets stay valid.
    let out = text;
    const spans = nodes.map((n, i) => ({
      range: (n as { range: [number, number, number] }).range,
      value: weights[i],
    }));
    for (const { range, value } of spans.sort((a, b) => b.range[0] - a.range[0]))
      out = `${out.slice(0, range[0])}${value}${out.slice(range[1])}`;
    return out;
  }
  weights.forEach((w, i) => {
    doc.setIn(path(i), w);
  });
  return doc.toString();
}
