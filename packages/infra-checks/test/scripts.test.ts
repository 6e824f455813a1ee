import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployScript } from '@meshapps/deploy';
import { loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.ts';

/**
 * The shell glue run against Google Cloud, run here against stand-ins: fake `gcloud` and
 * `terraform` executables that record their arguments, so the order and exact arguments of every
 * cloud command are checked without a cloud.
 */
function fakeTools(names: string[]): { bin: string; calls: () => string[] } {
  const bin = tempDir('fake-bin');
  const log = join(bin, 'calls.log');
  for (const name of names) {
    const file = join(bin, name);
    writeFileSync(file, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n`);
    chmodSync(file, 0o755);
  }
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

const routeNames = () =>
  spawnSync('sh', ['-c', 'sed -n "s/^name: *//p" infra/routes/*.yaml'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .stdout.trim()
    .split('\n');

describe('cloud shell scripts, with gcloud and terraform stood in for', () => {
  it('routes:render output feeds import-routes.sh: one import per route, with its rendered file', () => {
    const out = tempDir('routes');
    const render = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        'packages/mesh-config/src/routes-render.ts',
        '--project',
        'demo-project',
        '--out',
        out,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(render.status, render.stderr).toBe(0);
    writeFileSync(join(out, 'routes.tsv'), render.stdout);
    const { bin, calls } = fakeTools(['gcloud']);
    const r = spawnSync(
      'bash',
      ['infra/cloudbuild/import-routes.sh', join(out, 'routes.tsv'), 'demo-project'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(calls()).toHaveLength(routeNames().length);
    expect(calls()).toContain(
      `gcloud network-services http-routes import route-proxy --source=${join(out, 'proxy.yaml')} --location=global --project=demo-project --quiet`,
    );
    expect(r.stdout).toContain('+ gcloud network-services http-routes import route-target23 ');
    expect(readFileSync(join(out, 'proxy.yaml'), 'utf8')).toContain(
      'projects/demo-project/locations/global/meshes/meshapps',
    );
  });

  it('the generated deploy script runs one echoed gcloud beta run deploy per service', () => {
    const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));
    const dir = tempDir('deploy');
    const script = join(dir, 'deploy.sh');
    writeFileSync(
      script,
      deployScript(topology, {
        project: 'demo-project',
        region: 'asia-northeast1',
        repository: 'meshapps',
        tag: 'abc',
        network: 'meshapps-vpc',
        subnet: 'meshapps-subnet',
        publicEntry: 'all_users',
      }),
    );
    const { bin, calls } = fakeTools(['gcloud']);
    const r = spawnSync('bash', [script], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(calls().map((c) => c.split(' ')[4])).toEqual(topology.services.map((s) => s.name));
    expect(r.stdout.split('\n').filter((l) => l.startsWith('+ gcloud beta run deploy'))).toHaveLength(
      topology.services.length,
    );
  });

  /**
   * Stand-in terraform for teardown: `state list` prints a state, and a destroy without -target
   * fails the way it does while Cloud Run still holds the subnet (Direct VPC egress releases it
   * 1–2 hours after the services are deleted).
   */
  function teardownTools(): { bin: string; calls: () => string[] } {
    const tools = fakeTools(['gcloud', 'terraform']);
    const log = join(tools.bin, 'calls.log');
    // A route that is already gone makes gcloud fail: teardown must carry on.
    writeFileSync(
      join(tools.bin, 'gcloud'),
      `#!/usr/bin/env bash\necho "gcloud $*" >> "${log}"\n[[ "$*" == *"delete route-ab "* ]] && exit 1\nexit 0\n`,
    );
    const state = [
      'google_compute_network.mesh',
      'google_compute_subnetwork.mesh',
      'google_project_service.api["run.googleapis.com"]',
      'google_cloud_run_v2_service.service["client"]',
      'google_cloud_run_v2_service.service["proxy"]',
      'google_dns_managed_zone.mesh',
      'time_sleep.mesh_settle',
    ];
    writeFileSync(
      join(tools.bin, 'terraform'),
      [
        '#!/usr/bin/env bash',
        `echo "terraform $*" >> "${log}"`,
        'case "$*" in',
        `  *"state list"*) printf '%s\\n' ${state.map((s) => `'${s}'`).join(' ')} ;;`,
        '  *destroy*) [[ "$*" == *-target=* ]] || { echo "Error: The subnetwork resource is already being used" >&2; exit 1; } ;;',
        'esac',
        '',
      ].join('\n'),
    );
    return tools;
  }

  const teardown = (args: string[], bin: string) =>
    spawnSync('bash', ['infra/teardown.sh', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });

  it('teardown deletes the routes, then everything but the VPC, then tries the VPC and says how to finish', () => {
    const { bin, calls } = teardownTools();
    const r = teardown(['demo-project'], bin);
    expect(r.status, r.stderr).toBe(0);
    const log = calls();
    const deletes = log.filter((c) => c.startsWith('gcloud network-services http-routes delete'));
    expect(deletes.map((c) => c.split(' ')[4]).sort()).toEqual(routeNames().sort());
    expect(r.stdout).toContain('(not there or not deletable: continuing)');

    const destroys = log.filter((c) => c.startsWith('terraform -chdir=infra/terraform destroy'));
    expect(destroys).toHaveLength(2);
    const [targeted, rest] = destroys as [string, string];
    expect(log.indexOf(targeted)).toBeGreaterThan(log.lastIndexOf(deletes[deletes.length - 1] as string));
    expect(targeted).toContain('-var=project_id=demo-project');
    expect(
      targeted
        .split(' ')
        .filter((a) => a.startsWith('-target='))
        .sort(),
    ).toEqual([
      '-target=google_cloud_run_v2_service.service',
      '-target=google_dns_managed_zone.mesh',
      '-target=time_sleep.mesh_settle',
    ]);
    expect(rest).not.toContain('-target=');
    expect(log.indexOf(rest)).toBeGreaterThan(log.indexOf(targeted));
    expect(r.stdout).toContain('The VPC is not deleted yet');
    expect(r.stdout).toContain('pnpm teardown --network-only demo-project');
  });

  it('teardown --network-later leaves the VPC alone; --network-only deletes only it', () => {
    const later = teardownTools();
    const r = teardown(['--network-later', 'demo-project'], later.bin);
    expect(r.status, r.stderr).toBe(0);
    const destroys = later.calls().filter((c) => c.includes(' destroy '));
    expect(destroys).toHaveLength(1);
    expect(destroys[0]).toContain('-target=');
    expect(r.stdout).toContain('pnpm teardown --network-only demo-project');

    const only = teardownTools();
    const failed = teardown(['--network-only', 'demo-project'], only.bin);
    expect(failed.status).toBe(1);
    expect(only.calls().filter((c) => c.startsWith('gcloud'))).toEqual([]);
    expect(only.calls().filter((c) => c.includes(' destroy '))).toEqual([
      'terraform -chdir=infra/terraform destroy -input=false -auto-approve -var=project_id=demo-project',
    ]);
    expect(failed.stdout).toContain('The VPC is not deleted yet');
  });
});
