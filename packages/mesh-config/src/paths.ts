import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file (src/ or dist/ of packages/mesh-config). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');
export const TOPOLOGY_FILE = join(INFRA_DIR, 'topology.yaml');
export const ROUTES_DIR = join(INFRA_DIR, 'routes');

/**
 * A file as messages name it: inside the repository relative to its root (`infra/routes/x.yaml`),
 * elsewhere as given — `../../tmp/x.yaml` tells less than `/tmp/x.yaml`.
 */
export function shownPath(file: string): string {
  const inRepo = relative(REPO_ROOT, file);
  const outside = inRepo === '..' || inRepo.startsWith(`..${sep}`) || isAbsolute(inRepo);
  return inRepo && !outside ? inRepo : file;
}
