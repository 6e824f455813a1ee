import { relative } from 'node:path';
import {
  type ConfigError,
  checkShape,
  HTTP_ROUTE,
  REPO_ROOT,
  type RouteFile,
  renderRoute,
  type Topology,
} from '@meshapps/mesh-config';
import { parse } from 'yaml';

/**
 * What `gcloud network-services http-routes import` will receive: each route rendered for a
 * project must have no placeholder left, still pass the HttpRoute v1 shape, and name this
 * project's mesh and backend services.
 */
export function checkRenderedRoutes(
  routes: readonly RouteFile[],
  topology: Topology,
  projectId: string,
): ConfigError[] {
  const errors: ConfigError[] = [];
  const names = new Set(topology.services.map((s) => s.name));
  const mesh = `projects/${projectId}/locations/global/meshes/${topology.mesh.name}`;
  const backend = new RegExp(`^projects/${projectId}/locations/global/backendServices/([a-z0-9-]+)$`);
  for (const r of routes) {
    const file = relative(REPO_ROOT, r.file) || r.file;
    const at = (path: string, message: string) =>
      errors.push({ file, path, message: `rendered for ${projectId}: ${message}` });
    const text = renderRoute(r.text, projectId);
    const left = /\$\{[^}]*\}/.exec(text);
    if (left) at('(document)', `placeholder ${left[0]} left after rendering`);
    const checked = checkShape(parse(text), HTTP_ROUTE);
    if (!checked.ok) {
      for (const e of checked.errors) at(e.path, e.message);
      continue;
    }
    const route = checked.value;
    route.meshes?.forEach((m, i) => {
      if (m !== mesh) at(`meshes[${i}]`, `expected ${mesh}, got ${m}`);
    });
    route.rules.forEach((rule, i) => {
      rule.action?.destinations?.forEach((d, j) => {
        const name = backend.exec(d.serviceName)?.[1];
        if (!name || !names.has(name))
          at(
            `rules[${i}].action.destinations[${j}]`,
            `${d.serviceName} is not a backend service of this project's topology`,
          );
      });
    });
  }
  return errors;
}
