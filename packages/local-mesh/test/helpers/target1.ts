import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouteFile, ServiceSpec } from '@meshapps/mesh-config';
import { CloudRunFront } from '../../src/cloud-run-front.ts';
import type { TokenIssuer } from '../../src/identity.ts';
import { Router } from '../../src/router.ts';
import { type SidecarOptions, startSidecar } from '../../src/sidecar.ts';

/** A meshed service as the topology declares it; the sidecar tests vary ingress and invokers. */
export const meshService = (
  name: string,
  opts: { ingress?: ServiceSpec['ingress']; invokers?: string[] } = {},
): ServiceSpec => ({
  name,
  app: 'target',
  serviceAccount: `meshapps-${name}`,
  mesh: true,
  ingress: opts.ingress ?? 'internal',
  entry: 'none',
  invokers: opts.invokers ?? [],
});

/** route-target1: every request to target1.meshapps.internal goes to the target1 backend. */
export const target1Route: RouteFile = {
  file: 'target1.yaml',
  text: '',
  route: {
    name: 'route-target1',
    hostnames: ['target1.meshapps.internal'],
    rules: [
      {
        action: {
          destinations: [{ serviceName: 'projects/${PROJECT_ID}/locations/global/backendServices/target1' }],
        },
      },
    ],
  },
};

const CLIENT_EMAIL = 'meshapps-client@p.iam.gserviceaccount.com';

/** target1's Cloud Run front, admitting the client, before the app listening at `app`. */
export const target1Front = (spec: ServiceSpec, app: Server, issuer: TokenIssuer, audience: string) =>
  new CloudRunFront({
    spec,
    invokers: new Set([CLIENT_EMAIL]),
    audiences: [audience],
    issuer,
    appPort: () => (app.address() as AddressInfo).port,
  });

/** The client's egress sidecar, with route-target1 to that front; `more` adds the rest. */
export const clientSidecar = (
  caller: ServiceSpec,
  front: CloudRunFront,
  more: Pick<SidecarOptions, 'issuer' | 'runApp'> & Partial<SidecarOptions>,
) =>
  startSidecar({
    caller,
    callerEmail: CLIENT_EMAIL,
    meshDomain: 'meshapps.internal',
    router: new Router([target1Route]),
    fronts: new Map([['target1', front]]),
    ...more,
  });
