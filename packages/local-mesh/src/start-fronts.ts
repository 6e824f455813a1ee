import type { Server } from 'node:http';
import { findService, type ServiceSpec, type Topology } from '@meshapps/mesh-config';
import type { Cleanup } from './cleanup.ts';
import { runAppHost, serviceAccountEmail } from './cloud-names.ts';
import { CloudRunFront } from './cloud-run-front.ts';
import type { TokenIssuer } from './identity.ts';
import { createRunAppServer } from './run-app-server.ts';
import { makeRunAppTls } from './run-app-tls.ts';

export interface Fronts {
  /** Cloud Run's front door of each service: IAM check, then the app (if it has an instance). */
  fronts: Map<string, CloudRunFront>;
  /** Where each service's instance listens now; no entry while it has none (the front answers 503). */
  appPorts: Map<string, number>;
  /** The emulated https://<service>-<number>.<region>.run.app host of each service. */
  runAppHosts: Record<string, string>;
  /** The run.app URLs, served through the egress proxies' CONNECT. */
  runApp: { server: Server; hosts: Set<string> };
  /** The CA the apps trust for run.app (NODE_EXTRA_CA_CERTS). */
  caPem: string;
}

/** One emulated Cloud Run front per service, reachable by mesh hostname and by run.app URL. */
export async function startFronts(
  topology: Topology,
  issuer: TokenIssuer,
  cleanup: Cleanup,
): Promise<Fronts> {
  const emailOf = (name: string) =>
    serviceAccountEmail((findService(topology, name) as ServiceSpec).serviceAccount);
  const tls = await makeRunAppTls();
  const appPorts = new Map<string, number>();
  const fronts = new Map<string, CloudRunFront>();
  const runAppHosts: Record<string, string> = {};
  for (const spec of topology.services) {
    runAppHosts[spec.name] = runAppHost(spec.name);
    const front = new CloudRunFront({
      spec,
      invokers: new Set(spec.invokers.map(emailOf)),
      // The run.app URL is always a valid audience; custom audiences come from the topology.
      audiences: [`https://${runAppHost(spec.name)}`, ...(spec.customAudiences ?? [])],
      issuer,
      appPort: () => appPorts.get(spec.name),
    });
    fronts.set(spec.name, front);
    cleanup.push(() => front.close());
  }

  const byRunAppHost = new Map(
    topology.services.map((s) => [runAppHost(s.name), fronts.get(s.name) as CloudRunFront]),
  );
  const server = createRunAppServer(tls, byRunAppHost);
  cleanup.push(() => server.closeAllConnections());
  return {
    fronts,
    appPorts,
    runAppHosts,
    runApp: { server, hosts: new Set(byRunAppHost.keys()) },
    caPem: tls.caPem,
  };
}
