import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file (src/ or dist/ of packages/mesh-config). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');
export const TOPOLOGY_FILE = join(INFRA_DIR, 'topology.yaml');
export const ROUTES_DIR = join(INFRA_DIR, 'routes');
