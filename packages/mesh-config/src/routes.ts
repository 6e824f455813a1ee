import { parse } from 'yaml';
import { readRouteFilesSync } from './config-files.ts';
import { type ConfigError, ConfigInvalidError } from './errors.ts';
import { type Destination, HTTP_ROUTE, type HttpRoute } from './http-route.ts';
import { shownPath } from './paths.ts';
import { routeRegexErrors } from './route-regex.ts';
import { checkShape } from './shape.ts';
import type { Topology } from './topology.ts';

/** Route files name the project only through this placeholder; `routes:render` fills it in. */
export const PROJECT_PLACEHOLDER = '${PROJECT_ID}';
const BACKEND_PREFIX = `projects/${PROJECT_PLACEHOLDER}/locations/global/backendServices/`;

export interface RouteFile {
  /** Path as given (absolute when loaded from a directory). */
  file: string;
  text: string;
  route: HttpRoute;
}

/**
 * Loads every route in `dir` (through the bounded reader) and checks it as route CD does: what the
 * networkservices API takes (the HttpRoute shape, RE2 within Envoy's program size) and what this
 * project needs (its mesh, its domain, destinations in the topology). For the command-line tools,
 * before anything serves; the running mesh reads with `readRouteFiles` (async).
 */
export function loadRoutes(dir: string, topology: Topology): RouteFile[] {
  return checkRoutes(readRouteFilesSync(dir), topology);
}

export function checkRoutes(
  files: readonly { file: string; text: string }[],
  topology: Topology,
): RouteFile[] {
  const errors: ConfigError[] = [];
  const routes: RouteFile[] = [];
  for (const { file, text } of files) {
    const shown = shownPath(file);
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      errors.push({ file: shown, path: '(document)', message: `not valid YAML: ${(err as Error).message}` });
      continue;
    }
    const checked = checkShape(doc, HTTP_ROUTE);
    if (!checked.ok) {
      errors.push(...checked.errors.map((e) => ({ file: shown, ...e })));
      continue;
    }
    const route = checked.value;
    errors.push(...crossCheck(route, text, topology).map((e) => ({ file: shown, ...e })));
    errors.push(...routeRegexErrors(route).map((e) => ({ file: shown, ...e })));
    routes.push({ file, text, route });
  }
  errors.push(...acrossFiles(routes));
  if (errors.length > 0) throw new ConfigInvalidError(errors);
  return routes;
}

/** The backend service a destination names; by convention it is named after its Cloud Run service. */
export function backendServiceName(serviceName: string): string | undefined {
  return serviceName.startsWith(BACKEND_PREFIX) ? serviceName.slice(BACKEND_PREFIX.length) : undefined;
}

function crossCheck(route: HttpRoute, text: string, topology: Topology): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const meshRef = `projects/${PROJECT_PLACEHOLDER}/locations/global/meshes/${topology.mesh.name}`;
  const literal = /projects\/(?!\$\{PROJECT_ID\}\/)[^/\s]+\//.exec(text);
  if (literal) {
    errors.push({
      path: '(document)',
      message: `"${literal[0]}" names a project: write projects/${PROJECT_PLACEHOLDER}/ instead`,
    });
  }
  if (!route.meshes || route.meshes.length === 0) {
    errors.push({ path: 'meshes', message: `attach the route to the mesh: meshes: [${meshRef}]` });
  }
  route.meshes?.forEach((m, i) => {
    if (m !== meshRef) errors.push({ path: `meshes[${i}]`, message: `expected ${meshRef}` });
  });
  if (route.gateways) errors.push({ path: 'gateways', message: 'Cloud Run meshes use meshes, not gateways' });
  const domain = `.${topology.mesh.domain}`;
  route.hostnames.forEach((h, i) => {
    if (!h.endsWith(domain) || h.length === domain.length) {
      errors.push({
        path: `hostnames[${i}]`,
        message: `"${h}" is not under the mesh domain ${topology.mesh.domain}`,
      });
    }
  });
  route.rules.forEach((rule, r) => {
    rule.matches?.forEach((m, i) => {
      m.headers?.forEach((h, j) => {
        const start = h.rangeMatch?.start ?? 0;
        const end = h.rangeMatch?.end ?? 0;
        if (h.rangeMatch && start >= end) {
          errors.push({
            path: `rules[${r}].matches[${i}].headers[${j}].rangeMatch`,
            message: `start (${start}) must be below end (${end}): the range is [start, end), an unset bound is 0`,
          });
        }
      });
    });
    const mirror = rule.action?.requestMirrorPolicy?.destination;
    if (mirror) {
      errors.push(
        ...checkDestination(mirror, `rules[${r}].action.requestMirrorPolicy.destination`, topology),
      );
    }
    // A rule may act without destinations (directResponse, redirect, a fault abort): the API
    // takes it, so route CD does; what the local mesh does with it is its own, labelled layer.
    const destinations = rule.action?.destinations;
    if (!destinations) return;
    const weighted = destinations.filter((d) => d.weight !== undefined).length;
    if (weighted !== 0 && weighted !== destinations.length) {
      errors.push({
        path: `rules[${r}].action.destinations`,
        message: 'set weight on all destinations or on none (none means equal shares)',
      });
    }
    if (weighted === destinations.length && destinations.every((d) => d.weight === 0)) {
      errors.push({
        path: `rules[${r}].action.destinations`,
        message: 'weights add up to 0: no destination can be chosen',
      });
    }
    destinations.forEach((d, i) => {
      errors.push(...checkDestination(d, `rules[${r}].action.destinations[${i}]`, topology));
    });
  });
  return errors;
}

function checkDestination(
  d: Destination,
  path: string,
  topology: Topology,
): { path: string; message: string }[] {
  const name = backendServiceName(d.serviceName);
  if (name === undefined) {
    return [{ path: `${path}.serviceName`, message: `expected ${BACKEND_PREFIX}<service>` }];
  }
  if (!topology.services.some((s) => s.name === name)) {
    return [
      { path: `${path}.serviceName`, message: `backend service "${name}" is not a service in the topology` },
    ];
  }
  return [];
}

function acrossFiles(routes: readonly RouteFile[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const hostOwner = new Map<string, string>();
  const nameOwner = new Map<string, string>();
  for (const { file, route } of routes) {
    const shown = shownPath(file);
    const other = nameOwner.get(route.name);
    if (other)
      errors.push({ file: shown, path: 'name', message: `"${route.name}" is also the name in ${other}` });
    nameOwner.set(route.name, shown);
    route.hostnames.forEach((h, i) => {
      const owner = hostOwner.get(h);
      if (owner) {
        errors.push({
          file: shown,
          path: `hostnames[${i}]`,
          message: `"${h}" is already routed by ${owner} (unique per mesh)`,
        });
      }
      hostOwner.set(h, shown);
    });
  }
  return errors;
}

/** Fills in the project id, for `gcloud network-services http-routes import`. */
export function renderRoute(text: string, projectId: string): string {
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(projectId)) {
    throw new Error(`"${projectId}" is not a Google Cloud project id (6–30 lower-case letters, digits, "-")`);
  }
  return text.replaceAll(PROJECT_PLACEHOLDER, projectId);
}
