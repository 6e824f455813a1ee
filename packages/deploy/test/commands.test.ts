import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTopology, parseTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { appsOf, deployCommand, deployCommands, deployScript } from '../src/commands.ts';

const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));
const target = {
  project: 'demo-project',
  region: 'asia-northeast1',
  repository: 'meshapps',
  tag: 'abc123',
  network: 'meshapps-vpc',
  subnet: 'meshapps-subnet',
  publicEntry: 'all_users',
} as const;

describe('deploy commands generated from the topology', () => {
  const commands = deployCommands(topology, target);
  const byName = new Map(commands.map((c) => [c[4], c]));

  it('deploys every topology service once, from its app image', () => {
    expect([...byName.keys()].sort()).toEqual(topology.services.map((s) => s.name).sort());
    expect(byName.get('target1')).toContain(
      '--image=asia-northeast1-docker.pkg.dev/demo-project/meshapps/target:abc123',
    );
    expect(appsOf(topology)).toEqual(['client', 'proxy', 'target']);
  });

  it('passes --mesh, network and egress to mesh members only, with gcloud beta', () => {
    for (const s of topology.services) {
      const argv = byName.get(s.name) ?? [];
      expect(argv.slice(0, 4)).toEqual(['gcloud', 'beta', 'run', 'deploy']);
      expect(argv.includes('--mesh=projects/demo-project/locations/global/meshes/meshapps')).toBe(s.mesh);
      expect(argv.includes('--network=meshapps-vpc')).toBe(s.mesh);
      expect(argv).toContain(`--service-account=${s.serviceAccount}@demo-project.iam.gserviceaccount.com`);
      expect(argv).toContain(`--ingress=${s.ingress}`);
      expect(argv).toContain(
        s.entry === 'load-balancer' ? '--allow-unauthenticated' : '--no-allow-unauthenticated',
      );
    }
  });

  it("sends all of a mesh member's egress through the VPC, as the talk does", () => {
    for (const s of topology.services) {
      const egress = (byName.get(s.name) ?? []).filter((a) => a.startsWith('--vpc-egress'));
      expect(egress).toEqual(s.mesh ? ['--vpc-egress=all-traffic'] : []);
    }
  });

  it('makes only the load-balancer entry public, by allUsers or by no invoker check (publicEntry)', () => {
    const access = (argv: readonly string[]) =>
      argv.filter((a) => /^--(no-)?(allow-unauthenticated|invoker-iam-check)$/.test(a));
    const client = topology.services.find((s) => s.entry === 'load-balancer');
    if (!client) throw new Error('the topology has no load-balancer entry');
    expect(access(deployCommand(topology, client, target))).toEqual(['--allow-unauthenticated']);
    expect(
      access(deployCommand(topology, client, { ...target, publicEntry: 'invoker_iam_disabled' })),
    ).toEqual(['--no-invoker-iam-check']);
    for (const s of topology.services.filter((x) => x.entry !== 'load-balancer')) {
      for (const publicEntry of ['all_users', 'invoker_iam_disabled'] as const)
        expect(access(deployCommand(topology, s, { ...target, publicEntry }))).toEqual([
          '--no-allow-unauthenticated',
        ]);
    }
  });

  it('leaves the environment to Terraform (OTEL_TRACES_SAMPLER differs between entry and inner services)', () => {
    // gcloud run deploy keeps a service's env unless told otherwise; any env flag here would
    // overwrite Terraform's per-service sampler (or, with --set-env-vars, drop GOOGLE_CLOUD_PROJECT).
    for (const argv of commands)
      expect(argv.filter((a) => /^--(set|update|remove|clear)-env-vars|^--env-vars-file/.test(a))).toEqual(
        [],
      );
  });

  it("merges the topology's env: into the service's env (--update-env-vars), never replacing it", () => {
    const text = readFileSync(join(REPO_ROOT, 'infra/topology.yaml'), 'utf8').replace(
      '  target-green:\n    app: target\n',
      '  target-green:\n    app: target\n    env: { FAIL_PERCENT: "20", GREETING: "a,b" }\n',
    );
    const withEnv = deployCommands(parseTopology(text, 'topology.yaml'), target);
    const green = withEnv.find((c) => c[4] === 'target-green') ?? [];
    expect(green.filter((a) => a.includes('env-vars'))).toEqual([
      '--update-env-vars=^@^FAIL_PERCENT=20@GREETING=a,b',
    ]);
    expect(withEnv.find((c) => c[4] === 'target')?.some((a) => a.includes('env-vars'))).toBe(false);
  });

  it('writes a script that echoes each command before running it', () => {
    const script = deployScript(topology, target);
    expect(script).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(script).toContain('set -euo pipefail');
    expect(script).toContain("echo '+ gcloud beta run deploy proxy ");
    expect(script.match(/^gcloud beta run deploy /gm)).toHaveLength(topology.services.length);
  });
});
