export interface BannerFacts {
  loadBalancerUrl: string;
  participantUrl: string | undefined;
  traceViewerUrl: string;
  /** The without-mesh target's run.app host, if the topology has that service. */
  withoutMeshTarget: string | undefined;
  /** The mesh hostnames the loaded routes serve. */
  hostnames: readonly string[];
  /** `--routes DIR` as given, if it was. */
  routesFlag: string | undefined;
}

/** The hostnames the default demo lines call: the banner suggests them only when they are served. */
export const DEMO_HOSTNAMES = [
  'proxy.meshapps.internal',
  'target1.meshapps.internal',
  'target23.meshapps.internal',
  'target.meshapps.internal',
  'ab.meshapps.internal',
];

/** What `pnpm start` prints once ready: the calls that work with the routes it loaded. */
export function demoBanner(facts: BannerFacts): string {
  const lb = facts.loadBalancerUrl;
  const served = new Set(facts.hostnames);
  const routesShown = facts.routesFlag ?? 'infra/routes/*.yaml';
  const tryThese = DEMO_HOSTNAMES.every((h) => served.has(h))
    ? defaultDemos(lb, facts.routesFlag)
    : `
  Call what the loaded routes serve (each answers as on Cloud Run):
${facts.hostnames.map((h) => `    curl ${lb}/call/${h}`).join('\n')}

  Routes apply while this runs: edit ${routesShown} and watch for "routes applied: …".
`;
  const woTarget = facts.withoutMeshTarget;
  return `${tryThese}${
    facts.participantUrl && woTarget
      ? `
  Without the mesh (run.app URL + ID token from the metadata server):
    curl ${facts.participantUrl}/call-with-authheader/${woTarget}
    curl ${facts.participantUrl}/call-without-authheader/${woTarget}   # 401: no token
`
      : ''
  }
  The live service graph (who calls whom, status, p50/p90, splits): ${facts.traceViewerUrl}/#graph
  Demo 5, one trace across every hop: open ${facts.traceViewerUrl}
  or print the latest trace here:  pnpm trace:last${facts.traceViewerUrl.endsWith(':16686') ? '' : ` --url ${facts.traceViewerUrl}`}

  Ctrl-C stops everything.
`;
}

function defaultDemos(lb: string, routesFlag: string | undefined): string {
  const routesShown = routesFlag ?? 'infra/routes/*.yaml';
  const canaryFlags = [
    lb.endsWith(':8080') ? '' : ` --url ${lb}/call/target.meshapps.internal`,
    routesFlag ? ` --routes ${routesFlag}` : '',
  ].join('');
  return `
  Try the demos (each answers as on Cloud Run):
    curl ${lb}/call/proxy.meshapps.internal
    curl ${lb}/call/proxy.meshapps.internal/target1.meshapps.internal
    curl ${lb}/call/target1.meshapps.internal            # 403: client may not invoke target1
    curl ${lb}/call/target23.meshapps.internal           # 50:50 target2 / target3
    curl ${lb}/call/target.meshapps.internal             # canary: 99 target / 1 target-green
    curl -H 'x-variant: green' ${lb}/call/ab.meshapps.internal
    pnpm split:check -- --url ${lb}/call/target23.meshapps.internal -n 1000 --expect target2=50,target3=50

  Routes apply while this runs: edit ${routesShown} and watch for "routes applied: …".
  Shift the canary step by step, judged on live traffic (rolls back on failure):
    pnpm canary -- --route target --to target-green --steps 1,10,50,100${canaryFlags}
`;
}
