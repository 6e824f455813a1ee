import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StartedMesh, startMesh } from '@meshapps/local-mesh/mesh-process';
import { ROUTES_DIR, TOPOLOGY_FILE } from '@meshapps/mesh-config';

export interface InfraCopy {
  dir: string;
  routes: string;
  topology: string;
  remove: () => void;
}

/** infra/routes and infra/topology.yaml copied to a temporary folder: tests edit the copy only. */
export function copyInfra(prefix: string): InfraCopy {
  const dir = mkdtempSync(join(tmpdir(), `meshapps-${prefix}-`));
  cpSync(ROUTES_DIR, join(dir, 'routes'), { recursive: true });
  cpSync(TOPOLOGY_FILE, join(dir, 'topology.yaml'));
  return {
    dir,
    routes: join(dir, 'routes'),
    topology: join(dir, 'topology.yaml'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `pnpm start -- ARGS` on free ports, raw logs; `lb` is its load balancer stand-in. */
export async function startStack(args: string[]): Promise<StartedMesh & { lb: string }> {
  const mesh = await startMesh({ args: ['--raw-logs', ...args] });
  return { ...mesh, lb: mesh.ready.loadBalancerUrl };
}
