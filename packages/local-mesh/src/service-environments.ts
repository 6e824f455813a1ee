import type { Topology } from '@meshapps/mesh-config';
import type { Cleanup } from './cleanup.ts';
import { serviceAccountEmail } from './cloud-names.ts';
import type { TokenIssuer } from './identity.ts';
import { type Listener, listenerOf } from './listener.ts';
import type { LiveRouter } from './live-router.ts';
import { startMetadataServer } from './metadata-server.ts';
import { type HopEvent, type SidecarOptions, startSidecar } from './sidecar.ts';
import type { Fronts } from './start-fronts.ts';

/** What Cloud Run and the mesh give one service's container: its identity and its way out. */
export interface ServiceEnvironment {
  /** GCE_METADATA_HOST: the metadata server that issues this service's ID tokens. */
  metadataHost: string;
  /** HTTP(S)_PROXY: the sidecar that routes this service's calls by mesh hostname. */
  proxyPort: number;
}

export interface EnvironmentOptions {
  topology: Topology;
  issuer: TokenIssuer;
  router: LiveRouter;
  fronts: Fronts;
  recordSpans: NonNullable<SidecarOptions['recordSpans']>;
  random?: (() => number) | undefined;
  onHop?: ((event: HopEvent) => void) | undefined;
  onIdentity?: ((service: string, audience: string) => void) | undefined;
}

/** A metadata server and an egress sidecar for every service, before any app starts. */
export async function startServiceEnvironments(
  opts: EnvironmentOptions,
  listeners: Listener[],
  cleanup: Cleanup,
): Promise<Map<string, ServiceEnvironment>> {
  const environments = new Map<string, ServiceEnvironment>();
  for (const spec of opts.topology.services) {
    const email = serviceAccountEmail(spec.serviceAccount);
    const metadata = await startMetadataServer(
      { service: spec.name, email },
      opts.issuer,
      opts.onIdentity ? { onIdentity: opts.onIdentity } : {},
    );
    cleanup.push(metadata.close);
    listeners.push(listenerOf(`${spec.name} metadata server`, `http://${metadata.host}`));
    const sidecar = await startSidecar({
      caller: spec,
      callerEmail: email,
      meshDomain: opts.topology.mesh.domain,
      router: opts.router,
      fronts: opts.fronts.fronts,
      runApp: opts.fronts.runApp,
      issuer: opts.issuer,
      recordSpans: opts.recordSpans,
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.onHop ? { onHop: opts.onHop } : {}),
    });
    cleanup.push(sidecar.close);
    listeners.push({ name: `${spec.name} egress proxy`, host: '127.0.0.1', port: sidecar.port });
    environments.set(spec.name, { metadataHost: metadata.host, proxyPort: sidecar.port });
  }
  return environments;
}
