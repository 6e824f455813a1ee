import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `meshapps-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A copy of what the infra checks read (infra/, Cloud Build, Dockerfile, docs, app manifests) to plant mistakes in. */
export function tempRepo(): string {
  const root = tempDir('repo');
  for (const path of [
    'infra',
    'cloudbuild.yaml',
    'Dockerfile',
    '.dockerignore',
    'package.json',
    'docs',
    'README.md',
  ]) {
    cpSync(join(REPO_ROOT, path), join(root, path), {
      recursive: true,
      filter: (src) => !src.includes('.terraform'),
    });
  }
  for (const app of readdirSync(join(REPO_ROOT, 'apps'))) {
    cpSync(join(REPO_ROOT, 'apps', app, 'package.json'), join(root, 'apps', app, 'package.json'));
  }
  return root;
}

/** Rewrites a file of a temp repo; fails if the edit changed nothing (the plant must land). */
export function edit(root: string, path: string, change: (text: string) => string): void {
  const file = join(root, path);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`planting a mistake in ${path} changed nothing`);
  writeFileSync(file, after);
}

/** Adds a service to the topology (and a route to it): nothing in Terraform or Cloud Build names it. */
export function addTopologyService(root: string): void {
  edit(root, 'infra/topology.yaml', (t) =>
    t.replace(
      '  without-mesh-client:',
      [
        '  target4:',
        '    app: target',
        '    serviceAccount: meshapps-target4',
        '    mesh: true',
        '    ingress: internal',
        '    entry: none',
        '    invokers: [client, proxy]',
        '  without-mesh-client:',
      ].join('\n'),
    ),
  );
  writeFileSync(
    join(root, 'infra/routes/target4.yaml'),
    [
      'name: route-target4',
      'hostnames:',
      '  - target4.meshapps.internal',
      'meshes:',
      '  - projects/${PROJECT_ID}/locations/global/meshes/meshapps',
      'rules:',
      '  - action:',
      '      destinations:',
      '        - serviceName: projects/${PROJECT_ID}/locations/global/backendServices/target4',
      '',
    ].join('\n'),
  );
}

export const messages = (errors: readonly { path: string; message: string }[]): string =>
  errors.map((e) => `${e.path}: ${e.message}`).join('\n');
