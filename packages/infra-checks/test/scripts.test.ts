import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { deployScript } from '../src/deploy/commands.ts';
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

  it('teardown deletes the routes before anything Terraform owns, and tolerates what is gone', () => {
    const { bin, calls } = fakeTools(['gcloud', 'terraform']);
    // A route that is already gone makes gcloud fail: teardown must carry on.
    writeFileSync(
      join(bin, 'gcloud'),
      `#!/usr/bin/env bash\necho "gcloud $*" >> "${join(bin, 'calls.log')}"\n[[ "$*" == *"delete route-ab "* ]] && exit 1\nexit 0\n`,
    );
    const r = spawnSync('bash', ['infra/teardown.sh', 'demo-project'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    const log = calls();
    const deletes = log.filter((c) => c.startsWith('gcloud network-services http-routes delete'));
    expect(deletes.map((c) => c.split(' ')[4]).sort()).toEqual(routeNames().sort());
    const destroy = log.findIndex((c) => c.startsWith('terraform -chdir=infra/terraform destroy'));
    expect(destroy).toBeGreaterThan(log.lastIndexOf(deletes[deletes.length - 1] as string));
    expect(log[destroy]).toContain('-var=project_id=demo-project');
    expect(r.stdout).toContain('(not there or not deletable: continuing)');
  });
});
