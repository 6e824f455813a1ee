// pnpm routes:check — what route CD runs before it imports: the routes as the networkservices API
// takes them (gcloud's import schema, RE2 within Envoy's program size) and as this project needs
// them (its mesh, domain and topology). Fails only on those. Then, labelled and never failing,
// what the local mesh does differently (the lines `pnpm start` prints too).
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
import { localNotices } from './unsupported.ts';

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
  const local = localNotices(routes);
  if (local.length === 0) console.log('the local mesh can honour every field');
  for (const notice of local) console.log(notice);
  for (const notice of resilienceNotices(routes)) console.log(`note: ${notice}`);
} catch (err) {
  if (err instanceof ConfigInvalidError) console.error(formatErrors(err.errors));
  else console.error(`routes:check: ${(err as Error).message}`);
  process.exitCode = 1;
}
