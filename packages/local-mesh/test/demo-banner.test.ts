import { readFileSync } from 'node:fs';
import { loadTopology, ROUTES_DIR, routeFilesIn, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { type BannerFacts, DEMO_HOSTNAMES, demoBanner } from '../src/demo-banner.ts';
import { checkMeshRoutes } from '../src/live-router.ts';

const defaultHostnames = checkMeshRoutes(
  routeFilesIn(ROUTES_DIR).map((file) => ({ file, text: readFileSync(file, 'utf8') })),
  loadTopology(TOPOLOGY_FILE),
).flatMap((r) => r.route.hostnames);

const facts: BannerFacts = {
  loadBalancerUrl: 'http://127.0.0.1:8080',
  participantUrl: 'http://127.0.0.1:8081',
  traceViewerUrl: 'http://127.0.0.1:16686',
  withoutMeshTarget: 'without-mesh-target-123456789012.asia-northeast1.run.app',
  hostnames: defaultHostnames,
  routesFlag: undefined,
};

// The banner as cli.ts printed it before it knew the loaded routes, byte for byte.
const BEFORE = `
  Try the demos (each answers as on Cloud Run):
    curl http://127.0.0.1:8080/call/proxy.meshapps.internal
    curl http://127.0.0.1:8080/call/proxy.meshapps.internal/target1.meshapps.internal
    curl http://127.0.0.1:8080/call/target1.meshapps.internal            # 403: client may not invoke target1
    curl http://127.0.0.1:8080/call/target23.meshapps.internal           # 50:50 target2 / target3
    curl http://127.0.0.1:8080/call/target.meshapps.internal             # canary: 99 target / 1 target-green
    curl -H 'x-variant: green' http://127.0.0.1:8080/call/ab.meshapps.internal
    pnpm split:check -- --url http://127.0.0.1:8080/call/target23.meshapps.internal -n 1000 --expect target2=50,target3=50

  Routes apply while this runs: edit infra/routes/*.yaml and watch for "routes applied: …".
  Shift the canary step by step, judged on live traffic (rolls back on failure):
    pnpm canary -- --route target --to target-green --steps 1,10,50,100

  Without the mesh (run.app URL + ID token from the metadata server):
    curl http://127.0.0.1:8081/call-with-authheader/without-mesh-target-123456789012.asia-northeast1.run.app
    curl http://127.0.0.1:8081/call-without-authheader/without-mesh-target-123456789012.asia-northeast1.run.app   # 401: no token

  The live service graph (who calls whom, status, p50/p90, splits): http://127.0.0.1:16686/#graph
  Demo 5, one trace across every hop: open http://127.0.0.1:16686
  or print the latest trace here:  pnpm trace:last

  Ctrl-C stops everything.
`;

describe('demoBanner: the calls that work with the routes loaded', () => {
  it('the default routes serve every demo hostname, and the banner is the one the docs show', () => {
    expect(defaultHostnames).toEqual(expect.arrayContaining(DEMO_HOSTNAMES));
    expect(demoBanner(facts)).toBe(BEFORE);
  });

  it('other routes: a curl per hostname they serve, no default demos, no canary', () => {
    const text = demoBanner({
      ...facts,
      loadBalancerUrl: 'http://127.0.0.1:29001',
      hostnames: ['shop.meshapps.internal', 'cart.meshapps.internal'],
      routesFlag: '/tmp/my-routes',
    });
    expect(text).toContain('    curl http://127.0.0.1:29001/call/shop.meshapps.internal\n');
    expect(text).toContain('    curl http://127.0.0.1:29001/call/cart.meshapps.internal\n');
    expect(text).toContain('edit /tmp/my-routes and watch for "routes applied: …"');
    for (const absent of ['target23', 'proxy.meshapps', 'pnpm canary', 'split:check', 'Try the demos'])
      expect(text).not.toContain(absent);
    // The parts that do not depend on the routes stay.
    expect(text).toContain('call-with-authheader/without-mesh-target');
    expect(text).toContain('Ctrl-C stops everything.');
  });

  it('a routes directory missing one demo hostname gets the list, not the demos', () => {
    const text = demoBanner({
      ...facts,
      hostnames: defaultHostnames.filter((h) => h !== 'ab.meshapps.internal'),
    });
    expect(text).not.toContain('ab.meshapps.internal');
    expect(text).toContain('curl http://127.0.0.1:8080/call/target23.meshapps.internal\n');
  });
});
