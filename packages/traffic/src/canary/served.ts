import { judge, wilson, zFor } from '@meshapps/measure';
import type { Traffic } from './traffic.ts';

/** split:check's default: a round must be clear at 99.9 % before the canary believes it. */
const Z = zFor(0.999);
const MAX_ROUND = 2000;

export interface ServedResult {
  served: boolean;
  requests: number;
  /** The last round's observed shares, e.g. "target 89.5 % [85.0, 92.8], target-green 10.5 % […]". */
  observed: string;
}

/**
 * Waits until the mesh serves `now` rather than `before` (shares by service, adding up to 1), seen
 * from the data plane like `split:check`: rounds of requests, each judged afresh, until one is
 * consistent with the new weights and — where a round can tell them apart — not with the old ones.
 * The same on this machine (the route file watcher) and on Cloud Run (an imported route).
 */
export async function waitUntilServed(
  traffic: Traffic,
  before: ReadonlyMap<string, number>,
  now: ReadonlyMap<string, number>,
  timeoutMs: number,
  clock: () => number = () => performance.now(),
  signal?: AbortSignal,
): Promise<ServedResult> {
  if (sameShares(before, now)) return { served: true, requests: 0, observed: '' };
  const round = roundSize(before, now);
  const separable = round < MAX_ROUND;
  const deadline = clock() + timeoutMs;
  let requests = 0;
  let observed = '';
  do {
    const answers = await traffic.send(round);
    requests += answers.length;
    const counts = new Map<string, number>();
    for (const a of answers) if (a.service) counts.set(a.service, (counts.get(a.service) ?? 0) + 1);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    observed = [...counts.keys()]
      .sort()
      .map((name) => {
        const k = counts.get(name) ?? 0;
        const { low, high } = wilson(k, total, Z);
        return `${name} ${pct(k / total)} [${pct(low)}, ${pct(high)}]`;
      })
      .join(', ');
    const fitsNew = judge(counts, total, new Map(now), Z).every((v) => v.ok);
    const fitsOld = judge(counts, total, new Map(before), Z).every((v) => v.ok);
    if (fitsNew && (!fitsOld || !separable)) return { served: true, requests, observed };
  } while (clock() < deadline && !signal?.aborted);
  return { served: false, requests, observed };
}

/**
 * Requests per round so that the shares of the destination that changes most lie more than z
 * standard errors apart: ~210 for 1 % → 10 %, 100 (the minimum) for 50 % → 100 %.
 */
export function roundSize(before: ReadonlyMap<string, number>, now: ReadonlyMap<string, number>): number {
  let best = MAX_ROUND;
  for (const name of new Set([...before.keys(), ...now.keys()])) {
    const a = before.get(name) ?? 0;
    const b = now.get(name) ?? 0;
    if (a === b) continue;
    const spread = Math.sqrt(a * (1 - a)) + Math.sqrt(b * (1 - b));
    best = Math.min(best, Math.ceil(((Z * spread) / Math.abs(a - b)) ** 2));
  }
  return Math.max(100, best);
}

function sameShares(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].every((n) => Math.abs((a.get(n) ?? 0) - (b.get(n) ?? 0)) < 1e-9);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
