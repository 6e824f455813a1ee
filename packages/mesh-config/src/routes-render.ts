// pnpm routes:render --project <id> [--out dir] — route YAML with the project filled in, ready for
// `gcloud network-services http-routes import <name> --source=<file> --location=global`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigInvalidError, formatErrors } from './errors.ts';
import { ROUTES_DIR, TOPOLOGY_FILE } from './paths.ts';
import { loadRoutes, renderRoute } from './routes.ts';
import { loadTopology } from './topology.ts';

// `pnpm x -- --flag` passes the `--` along; flags after it are still ours.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    project: { type: 'string' },
    out: { type: 'string' },
    routes: { type: 'string', default: ROUTES_DIR },
  },
});
if (!values.project) {
  console.error('usage: pnpm routes:render --project <project-id> [--out <dir>]');
  process.exit(2);
}
try {
  const routes = loadRoutes(values.routes, loadTopology(TOPOLOGY_FILE));
  for (const r of routes) {
    const text = renderRoute(r.text, values.project);
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, basename(r.file)), text);
      console.log(`${r.route.name}\t${join(values.out, basename(r.file))}`);
    } else {
      process.stdout.write(`---\n${text}`);
    }
  }
} catch (err) {
  // A bad project id or an unreadable file is a one-line answer, not a stack trace.
  console.error(
    err instanceof ConfigInvalidError ? formatErrors(err.errors) : `routes:render: ${(err as Error).message}`,
  );
  process.exitCode = 1;
}
