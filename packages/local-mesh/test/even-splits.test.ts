import { loadRoutes, loadTopology, ROUTES_DIR, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { evenSplits } from '../src/even-splits.ts';
import { Router } from '../src/router.ts';

const routes = loadRoutes(ROUTES_DIR, loadTopology(TOPOLOGY_FILE));
const facts = { path: '/', headers: {}, query: '' };

function counts(router: Router, host: string, n: number): Record<string, number> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = router.resolve(host, facts);
    const name = r.ok ? r.decision.service : String(r.status);
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

describe('--even-splits', () => {
  it('walks [0, 1) evenly, never reaching 1', () => {
    const next = evenSplits(4);
    expect(Array.from({ length: 6 }, next)).toEqual([0.125, 0.375, 0.625, 0.875, 0.125, 0.375]);
  });

  it('splits the shipped routes exactly by weight in every 100 choices, from any starting point', () => {
    const router = new Router(routes, evenSplits());
    counts(router, 'target.meshapps.internal', 37); // start mid-cycle
    expect(counts(router, 'target.meshapps.internal', 100)).toEqual({ target: 99, 'target-green': 1 });
    expect(counts(router, 'target23.meshapps.internal', 100)).toEqual({ target2: 50, target3: 50 });
  });
});
