import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
/** The one Node version: .node-version (what CI installs); everything else follows its major. */
const version = read('.node-version').trim();
const major = version.split('.')[0] ?? '';

describe('one Node version contract', () => {
  it('.node-version is an exact release', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('engines asks for that major or later (pnpm refuses to install on an older Node)', () => {
    expect(JSON.parse(read('package.json')).engines).toEqual({ node: `>=${major}` });
  });

  it('the README names that major and no other', () => {
    const readme = read('README.md');
    expect(readme).toContain(`Node.js ${major} (\`.node-version\``);
    const others = [...readme.matchAll(/\bNode(?:\.js)? (\d+)/g)].map((m) => m[1]);
    expect(new Set(others)).toEqual(new Set([major]));
  });

  it('.ci/toolchain.sh installs .node-version unless the machine has that major', () => {
    const script = read('.ci/toolchain.sh');
    expect(script).toContain('NODE_VERSION="$(cat .node-version)"');
    expect(script).toContain('-ge "${NODE_VERSION%%.*}" ] || wanted+=("node@$NODE_VERSION")');
  });

  it('images and Cloud Build steps run that major', () => {
    const froms = [...read('Dockerfile').matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1]);
    const steps = ['cloudbuild.yaml', 'infra/cloudbuild/routes.yaml'].flatMap((f) =>
      [...read(f).matchAll(/name: node:(\d+)/g)].map((m) => m[1]),
    );
    expect(froms.length).toBeGreaterThan(0);
    expect(steps.length).toBeGreaterThan(0);
    expect(new Set([...froms, ...steps])).toEqual(new Set([major]));
  });

  it('the tests themselves run on it', () => {
    expect(process.versions.node.split('.')[0]).toBe(major);
  });
});
