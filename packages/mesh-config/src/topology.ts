import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parse } from 'yaml';
import { type ConfigError, ConfigInvalidError } from './errors.ts';
import { REPO_ROOT } from './paths.ts';
import { arr, bool, checkShape, map, obj, str } from './shape.ts';

export const INGRESS = ['all', 'internal', 'internal-and-cloud-load-balancing'] as const;
export type Ingress = (typeof INGRESS)[number];
export const ENTRY = ['load-balancer', 'participant', 'none'] as const;
export type Entry = (typeof ENTRY)[number];

export interface ServiceSpec {
  name: string;
  app: string;
  serviceAccount: string;
  mesh: boolean;
  ingress: Ingress;
  entry: Entry;
  invokers: string[];
  /** Extra token audiences Cloud Run accepts besides the run.app URL (Cloud Run custom audiences). */
  customAudiences?: string[];
  /** App settings passed as Cloud Run environment variables (e.g. FAIL_PERCENT), on every runtime. */
  env?: Record<string, string>;
}

export interface Topology {
  file: string;
  mesh: { name: string; domain: string };
  services: ServiceSpec[];
}

const NAME = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;
const SHAPE = obj(
  {
    mesh: obj(
      { name: str(NAME), domain: str(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/) },
      { required: ['name', 'domain'] },
    ),
    services: map(
      obj(
        {
          app: str(NAME),
          serviceAccount: str(
            /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/,
            'service account id: 6–30 lower-case letters, digits, "-"',
          ),
          mesh: bool,
          ingress: str(
            new RegExp(`^(${INGRESS.join('|')})$`),
            `ingress must be one of ${INGRESS.join(', ')}`,
          ),
          entry: str(new RegExp(`^(${ENTRY.join('|')})$`), `entry must be one of ${ENTRY.join(', ')}`),
          invokers: arr(str()),
          customAudiences: arr(str(/^\S+$/, 'a custom audience is one string without spaces')),
          // Strings, as Cloud Run takes them: a YAML number (FAIL_PERCENT: 20) must be quoted.
          env: map(str()),
        },
        { required: ['app', 'serviceAccount', 'mesh', 'ingress', 'entry', 'invokers'] },
      ),
    ),
  },
  { required: ['mesh', 'services'] },
);

export function loadTopology(file: string): Topology {
  return parseTopology(readFileSync(file, 'utf8'), file);
}

export function parseTopology(text: string, file: string): Topology {
  const shown = relative(REPO_ROOT, file) || file;
  const doc: unknown = parse(text);
  const shapeErrors = checkShape(doc, SHAPE);
  if (shapeErrors.length > 0) throw new ConfigInvalidError(shapeErrors.map((e) => ({ file: shown, ...e })));

  const raw = doc as { mesh: Topology['mesh']; services: Record<string, Omit<ServiceSpec, 'name'>> };
  const services = Object.entries(raw.services).map(([name, spec]) => ({ name, ...spec }));
  const errors: ConfigError[] = [];
  const names = new Set(services.map((s) => s.name));
  for (const s of services) {
    if (!NAME.test(s.name))
      errors.push({ file: shown, path: `services.${s.name}`, message: 'invalid service name' });
    s.invokers.forEach((caller, i) => {
      if (!names.has(caller)) {
        errors.push({
          file: shown,
          path: `services.${s.name}.invokers[${i}]`,
          message: `no service named "${caller}"`,
        });
      }
    });
  }
  for (const s of services) errors.push(...envErrors(s, shown));
  const accounts = new Map<string, string>();
  for (const s of services) {
    const other = accounts.get(s.serviceAccount);
    if (other) {
      errors.push({
        file: shown,
        path: `services.${s.name}.serviceAccount`,
        message: `"${s.serviceAccount}" is already ${other}'s: each service runs as its own identity`,
      });
    }
    accounts.set(s.serviceAccount, s.name);
  }
  if (errors.length > 0) throw new ConfigInvalidError(errors);
  return { file, mesh: raw.mesh, services };
}

/**
 * Variables the platform sets itself: Cloud Run's reserved ones, what Terraform sets per service,
 * and what the local mesh needs to stand in for the cloud. A topology value would fight them.
 */
const PLATFORM_ENV = new Set([
  'PORT',
  'K_SERVICE',
  'K_REVISION',
  'K_CONFIGURATION',
  'GOOGLE_CLOUD_PROJECT',
  'OTEL_TRACES_SAMPLER',
  'GCE_METADATA_HOST',
  'HOME',
  'PATH',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envErrors(s: ServiceSpec, file: string): ConfigError[] {
  return Object.keys(s.env ?? {}).flatMap((name) => {
    const problem = envNameProblem(name);
    return problem ? [{ file, path: `services.${s.name}.env.${name}`, message: problem }] : [];
  });
}

/** Why `name` cannot be an app setting, or undefined when it can. */
export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) return 'an environment variable name is letters, digits and "_"';
  if (PLATFORM_ENV.has(name.toUpperCase()) || name.toUpperCase().startsWith('OTEL_EXPORTER_OTLP_'))
    return `${name} is set by the platform (Cloud Run or the local mesh)`;
  return undefined;
}

export function findService(topology: Topology, name: string): ServiceSpec | undefined {
  return topology.services.find((s) => s.name === name);
}
