import { parse } from 'yaml';
import { z } from 'zod';
import { readConfigFileSync } from './config-files.ts';
import { type ConfigError, ConfigInvalidError } from './errors.ts';
import { shownPath } from './paths.ts';
import { checkShape, fields, matching, oneOf } from './shape.ts';

export const INGRESS = ['all', 'internal', 'internal-and-cloud-load-balancing'] as const;
export type Ingress = (typeof INGRESS)[number];
export const ENTRY = ['load-balancer', 'participant', 'none'] as const;
export type Entry = (typeof ENTRY)[number];

const NAME = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;
const SERVICE = fields({
  app: matching(NAME),
  serviceAccount: matching(
    /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/,
    'service account id: 6–30 lower-case letters, digits, "-"',
  ),
  mesh: z.boolean(),
  ingress: oneOf(INGRESS, 'ingress'),
  entry: oneOf(ENTRY, 'entry'),
  invokers: z.array(z.string()),
  /** Extra token audiences Cloud Run accepts besides the run.app URL (Cloud Run custom audiences). */
  customAudiences: z.array(matching(/^\S+$/, 'a custom audience is one string without spaces')).optional(),
  /** App settings passed as Cloud Run environment variables (e.g. FAIL_PERCENT), on every runtime. */
  env: z.record(z.string(), z.string()).optional(),
});
const TOPOLOGY = fields({
  mesh: fields({ name: matching(NAME), domain: matching(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/) }),
  services: z.record(z.string(), SERVICE),
});

/** A service of the topology: its key in `services` as `name`, then its fields. */
export type ServiceSpec = { name: string } & z.infer<typeof SERVICE>;

export interface Topology {
  file: string;
  mesh: z.infer<typeof TOPOLOGY>['mesh'];
  services: ServiceSpec[];
}

export function loadTopology(file: string): Topology {
  return parseTopology(readConfigFileSync(file).text, file);
}

export function parseTopology(text: string, file: string): Topology {
  const shown = shownPath(file);
  const doc: unknown = parse(text);
  const checked = checkShape(doc, TOPOLOGY);
  if (!checked.ok) throw new ConfigInvalidError(checked.errors.map((e) => ({ file: shown, ...e })));

  const raw = checked.value;
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
  // Cloud Run wants 0.0.0.0 (the default); the local mesh sets loopback (decision 007).
  'LISTEN_ADDRESS',
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
