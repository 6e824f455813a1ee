import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConfigError,
  ConfigInvalidError,
  envNameProblem,
  findService,
  loadTopology,
  REPO_ROOT,
  type RouteFile,
  readRouteFilesSync,
  type ServiceSpec,
  type Topology,
} from '@meshapps/mesh-config';
import { checkMeshRoutes } from './live-router.ts';
import { resilienceNotices } from './resilience.ts';
import { localNotices } from './unsupported.ts';

export interface MeshConfig {
  topology: Topology;
  routes: RouteFile[];
  /** The service behind the load balancer, and the one behind the participant port (if any). */
  entries: { loadBalancer: string; participant: string | undefined };
  /** Each service's app settings: the topology's `env:`, then this run's `--env` overrides. */
  settings: Map<string, Record<string, string>>;
}

/**
 * Everything the mesh is built from, checked before anything starts: a typo in a route or an
 * `--env` costs no process start-ups. Says what it loaded, and labels what is unverified.
 */
export function readConfig(
  files: { topologyFile: string; routesDir: string },
  envOverrides: Record<string, Record<string, string>>,
  progress: (line: string) => void,
): MeshConfig {
  const topology = loadTopology(files.topologyFile);
  // Read before anything listens, through the bounded reader every route tool uses.
  const routes = checkMeshRoutes(readRouteFilesSync(files.routesDir), topology);
  const entries = entryServices(topology);
  progress(
    `topology: ${topology.services.length} services; routes: ${routes.length} (${routes.map((r) => r.route.name).join(', ')})`,
  );
  for (const notice of resilienceNotices(routes)) progress(notice);
  for (const notice of localNotices(routes)) progress(notice);
  const settings = appSettings(topology, envOverrides, progress);
  return { topology, routes, entries, settings };
}

function entryServices(topology: Topology): MeshConfig['entries'] {
  const of = (entry: ServiceSpec['entry']) =>
    topology.services.filter((s) => s.entry === entry).map((s) => s.name);
  const lb = of('load-balancer');
  const participant = of('participant');
  if (lb.length !== 1 || participant.length > 1) {
    throw new ConfigInvalidError([
      {
        file: topology.file,
        path: 'services.*.entry',
        message: `the local mesh needs exactly one load-balancer entry (found ${lb.length}) and at most one participant entry (found ${participant.length})`,
      },
    ]);
  }
  return { loadBalancer: lb[0] as string, participant: participant[0] };
}

/**
 * Each service's app settings: the topology's `env:` (what Cloud Run gets too), then this run's
 * `--env` overrides. An override for a service or a name the topology cannot have is refused.
 */
function appSettings(
  topology: Topology,
  overrides: Record<string, Record<string, string>>,
  progress: (line: string) => void,
): Map<string, Record<string, string>> {
  const errors: ConfigError[] = Object.entries(overrides).flatMap(([service, env]) => {
    if (!findService(topology, service)) {
      const known = topology.services.map((s) => s.name).join(', ');
      return [
        { file: '--env', path: service, message: `no service named "${service}" (services: ${known})` },
      ];
    }
    return Object.keys(env).flatMap((name) => {
      const problem = envNameProblem(name);
      return problem ? [{ file: '--env', path: `${service}:${name}`, message: problem }] : [];
    });
  });
  for (const spec of topology.services) {
    const reads = settingsReadBy(spec.app);
    const given = { ...(spec.env ?? {}), ...(overrides[spec.name] ?? {}) };
    for (const name of Object.keys(given)) {
      if (reads.includes(name) || name.startsWith('OTEL_')) continue;
      errors.push({
        file: name in (overrides[spec.name] ?? {}) ? '--env' : topology.file,
        path: `${spec.name}:${name}`,
        message: `app "${spec.app}" reads no setting ${name}, so it would do nothing (it reads: ${reads.join(', ') || 'none'}, and OTEL_*; apps/${spec.app}/package.json "meshapps.settings")`,
      });
    }
  }
  if (errors.length > 0) throw new ConfigInvalidError(errors);
  const settings = new Map<string, Record<string, string>>();
  for (const spec of topology.services) {
    const own = spec.env ?? {};
    const run = overrides[spec.name] ?? {};
    settings.set(spec.name, { ...own, ...run });
    const shown = [
      ...Object.entries(own)
        .filter(([k]) => !(k in run))
        .map(([k, v]) => `${k}=${v} (topology)`),
      ...Object.entries(run).map(([k, v]) => `${k}=${v} (--env, this run only)`),
    ];
    if (shown.length > 0) progress(`${spec.name}: ${shown.join(', ')}`);
  }
  return settings;
}

/** The app settings an app reads, as its package.json declares them (`meshapps.settings`). */
function settingsReadBy(app: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'apps', app, 'package.json'), 'utf8'));
    const declared = manifest?.meshapps?.settings;
    return Array.isArray(declared) ? declared.map(String) : [];
  } catch {
    return [];
  }
}
