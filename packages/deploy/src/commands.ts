import type { ServiceSpec, Topology } from '@meshapps/mesh-config';

/**
 * How the load balancer's entry service is made public (it receives no identity token):
 * `all_users` grants run.invoker to allUsers; `invoker_iam_disabled` turns Cloud Run's invoker IAM
 * check off, which works under the Domain Restricted Sharing org policy. Terraform's
 * `public_entry` variable, Cloud Build's `_PUBLIC_ENTRY`.
 */
export const PUBLIC_ENTRY = ['all_users', 'invoker_iam_disabled'] as const;
export type PublicEntry = (typeof PUBLIC_ENTRY)[number];

/** Where and what Cloud Build deploys: its substitutions, passed on the command line. */
export interface DeployTarget {
  project: string;
  region: string;
  repository: string;
  tag: string;
  network: string;
  subnet: string;
  publicEntry: PublicEntry;
}

/** The image an app is built into; every service running that app shares it. */
export function imageFor(
  target: Pick<DeployTarget, 'region' | 'project' | 'repository' | 'tag'>,
  app: string,
) {
  return `${target.region}-docker.pkg.dev/${target.project}/${target.repository}/${app}:${target.tag}`;
}

/** The apps the topology runs, each built once. */
export function appsOf(topology: Topology): string[] {
  return [...new Set(topology.services.map((s) => s.app))].sort();
}

/** What one group of flags is computed from. */
interface FlagInput {
  topology: Topology;
  service: ServiceSpec;
  target: DeployTarget;
}

/** Where the revision runs and which image and identity it has. */
function placementFlags({ service, target }: FlagInput): string[] {
  return [
    `--project=${target.project}`,
    `--region=${target.region}`,
    `--image=${imageFor(target, service.app)}`,
    `--service-account=${service.serviceAccount}@${target.project}.iam.gserviceaccount.com`,
    `--ingress=${service.ingress}`,
  ];
}

/**
 * Who may invoke it. gcloud applies these on every deploy, so each must say what Terraform set:
 * the load balancer's entry is public (allUsers binding or no invoker check, per `publicEntry`);
 * everyone else needs an ID token and run.invoker. In `invoker_iam_disabled` mode the entry gets
 * no --[no-]allow-unauthenticated: either would rewrite its IAM policy for nothing.
 */
function accessFlags({ service, target }: FlagInput): string[] {
  if (service.entry !== 'load-balancer') return ['--no-allow-unauthenticated'];
  return target.publicEntry === 'invoker_iam_disabled'
    ? ['--no-invoker-iam-check']
    : ['--allow-unauthenticated'];
}

/**
 * Mesh members: the mesh, and Direct VPC egress for all traffic, as the talk deploys them. A
 * destination with ingress `internal` accepts a caller's request only if it arrives through the
 * VPC; with private-ranges-only the hop to its run.app address would leave through the internet.
 */
function meshFlags({ topology, service, target }: FlagInput): string[] {
  if (!service.mesh) return [];
  return [
    `--mesh=projects/${target.project}/locations/global/meshes/${topology.mesh.name}`,
    `--network=${target.network}`,
    `--subnet=${target.subnet}`,
    '--vpc-egress=all-traffic',
  ];
}

/**
 * The topology's app settings (FAIL_PERCENT, …), merged into what the service has: the variables
 * Terraform sets stay. gcloud splits the list on ",", so a value holding one picks another
 * delimiter with gcloud's `^SEP^` escape.
 */
function envFlags({ service }: FlagInput): string[] {
  const env = Object.entries(service.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (env.length === 0) return [];
  const sep = [',', '@', '|', '#'].find((c) => !env.some((e) => e.includes(c))) ?? ',';
  return [`--update-env-vars=${sep === ',' ? '' : `^${sep}^`}${env.join(sep)}`];
}

/**
 * Every group of per-service flags, in order. A new per-service setting is one more function
 * here; the consistency check compares the result with Terraform.
 */
const FLAG_GROUPS: ((input: FlagInput) => string[])[] = [placementFlags, accessFlags, meshFlags, envFlags];

/**
 * `gcloud beta run deploy` for one service, every flag read from the topology. Terraform created
 * the service with the same identity, ingress, access, network and mesh, so a deploy changes only
 * the revision. Beta: `--mesh` exists only in `gcloud beta|alpha run deploy`.
 */
export function deployCommand(topology: Topology, service: ServiceSpec, target: DeployTarget): string[] {
  const flags = FLAG_GROUPS.flatMap((group) => group({ topology, service, target }));
  return ['gcloud', 'beta', 'run', 'deploy', service.name, ...flags, '--quiet'];
}

export function deployCommands(topology: Topology, target: DeployTarget): string[][] {
  return topology.services.map((s) => deployCommand(topology, s, target));
}

/** POSIX-shell quoting for the generated script. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** A bash script that echoes each command before running it, and stops at the first failure. */
export function deployScript(topology: Topology, target: DeployTarget): string {
  const lines = [
    '#!/usr/bin/env bash',
    '# Generated from infra/topology.yaml by pnpm deploy:commands.',
    'set -euo pipefail',
  ];
  for (const argv of deployCommands(topology, target)) {
    const cmd = argv.map(shellQuote).join(' ');
    lines.push(`echo ${shellQuote(`+ ${cmd}`)}`, cmd);
  }
  return `${lines.join('\n')}\n`;
}
