// pnpm routes:check — the same checks the local mesh runs at start, without starting anything.
import { ConfigInvalidError, formatErrors } from './errors.ts';
import { ROUTES_DIR, TOPOLOGY_FILE } from './paths.ts';
import { loadRoutes } from './routes.ts';
import { loadTopology } from './topology.ts';

const dir = process.argv[2] ?? ROUTES_DIR;
try {
  const topology = loadTopology(process.env.MESHAPPS_TOPOLOGY ?? TOPOLOGY_FILE);
  const routes = loadRoutes(dir, topology);
  for (const r of routes) console.log(`ok  ${r.route.name.padEnd(16)} ${r.route.hostnames.join(', ')}`);
  console.log(`${routes.length} routes valid against the HttpRoute v1 shape and the topology`);
} catch (err) {
  if (!(err instanceof ConfigInvalidError)) throw err;
  console.error(formatErrors(err.errors));
  process.exitCode = 1;
}
