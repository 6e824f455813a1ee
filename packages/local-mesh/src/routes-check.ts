// pnpm routes:check — every check `pnpm start` runs on the route files, without starting anything:
// the HttpRoute v1 shape and the topology (what the cloud needs), then what the local mesh can honour.
import { parseArgs } from 'node:util';
import {
  ConfigInvalidError,
  formatErrors,
  loadRoutes,
  loadTopology,
  ROUTES_DIR,
  TOPOLOGY_FILE,
} from '@meshapps/mesh-config';
import { resilienceNotices } from './resilience.ts';
import { unsupportedFields } from './unsupported.ts';

try {
  const { values } = parseArgs({
    // `pnpm x -- --flag` passes the `--` along; flags after it are still ours.
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      routes: { type: 'string', default: ROUTES_DIR },
      topology: { type: 'string', default: TOPOLOGY_FILE },
    },
  });
  const routes = loadRoutes(values.routes, loadTopology(values.topology));
  for (const r of routes) console.log(`ok  ${r.route.name.padEnd(16)} ${r.route.hostnames.join(', ')}`);
  console.log(`${routes.length} routes valid against the HttpRoute v1 shape and the topology`);
  const local = unsupportedFields(routes);
  if (local.length > 0) throw new ConfigInvalidError(local);
  console.log('the local mesh can honour every field');
  for (const notice of resilienceNotices(routes)) console.log(`note: ${notice}`);
} catch (err) {
  if (err instanceof ConfigInvalidError) console.error(formatErrors(err.errors));
  else console.error(`routes:check: ${(err as Error).message}`);
  process.exitCode = 1;
}
