import type { ServiceSpec, Topology } from '@meshapps/mesh-config';

/** Where and what Cloud Build deploys: its substitutions, passed on the command line. */
export interface DeployTarget {
  project: string;
  region: string;
  repository: string;
  tag: string;
  network: string;
  subnet: string;
}

/** The image an app is built into; every service running that app shares it. */
export function imageFor(target: DeployTarget, app: string): string {
  return `${target.region}-docker.pkg.dev/${target.project}/${target.repository}/${app}:${target.tag}`;
}

/** The apps the topology runs, each built once. */
export function appsOf(topology: Topology): string[] {
  return [...new Set(topology.services.map((s) => s.app))].sort();
}

/**
 * `gcloud beta run deploy` for one service, every flag read from the topology. Terraform created
 * the service with the same identity, ingress, network and mesh, so a deploy changes only the
 * revision. Beta: `--mesh` exists only in `gcloud beta|alpha run deploy`.
 */
export function deployCommand(topology: Topology, s: ServiceSpec, target: DeployTarget): string[] {
  const argv = [
    'gcloud',
    'beta',
    'run',
    'deploy',
    s.name,
    `--project=${target.project}`,
    `--region=${target.region}`,
    `--image=${imageFor(target, s.app)}`,
    `--service-account=${s.serviceAccount}@${target.project}.iam.gserviceaccount.com`,
    `--ingress=${s.ingress}`,
    // The load balancer sends no token, so its entry is public (Terraform grants allUsers too);
    // everyone else needs an ID token and run.invoker.
    s.entry === 'load-balancer' ? '--allow-unauthenticated' : '--no-allow-unauthenticated',
  ];
  if (s.mesh) {
    argv.push(
      `--mesh=projects/${target.project}/locations/global/meshes/${topology.mesh.name}`,
      `--network=${target.network}`,
      `--subnet=${target.subnet}`,
      '--vpc-egress=private-ranges-only',
    );
  }
  // The topology's app settings (FAIL_PERCENT, …), merged: the variables Terraform sets stay.
  const env = Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const sep = [',', '@', '|', '#'].find((c) => !env.some((e) => e.includes(c))) ?? ',';
  if (env.length > 0) argv.push(`--update-env-vars=${sep === ',' ? '' : `^${sep}^`}${env.join(sep)}`);
  argv.push('--quiet');
  return argv;
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
