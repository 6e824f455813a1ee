import { join } from 'node:path';
import { loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { checkDocumentedCommands } from '../src/docs/commands.ts';
import { edit, tempRepo } from './helpers.ts';

const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));
const check = (root: string) =>
  checkDocumentedCommands(root, topology)
    .map((e) => `${e.file}: ${e.path}: ${e.message}`)
    .join('\n');
/** What the check finds in a copy of the repository where one file has one text replaced. */
const checkWith = (file: string, from: string | RegExp, to: string) => {
  const root = tempRepo();
  edit(root, file, (t) => t.replace(from, to));
  return check(root);
};

describe('the commands the docs show are the ones that work', () => {
  it('the repository passes', () => {
    expect(check(REPO_ROOT)).toBe('');
  });

  it('a documented manual build that sets COMMIT_SHA fails', () => {
    const found = checkWith(
      'docs/deploy.md',
      '--substitutions=_TAG=$(git rev-parse HEAD) \\',
      '--substitutions=COMMIT_SHA=$(git rev-parse HEAD) \\',
    );
    expect(found).toContain('a manual build overrides the built-in COMMIT_SHA');
    expect(found).toContain('a manual build of cloudbuild.yaml without _TAG=');
  });

  it("also in cloudbuild.yaml's header comment", () => {
    expect(
      checkWith('cloudbuild.yaml', '--substitutions=_TAG=$(git', '--substitutions=COMMIT_SHA=$(git'),
    ).toContain('cloudbuild.yaml: line 10: a manual build overrides the built-in COMMIT_SHA');
  });

  it('a deploy command in the guide that the generator would not write fails, naming both', () => {
    const found = checkWith(
      'docs/deploy.md',
      'meshes/meshapps --network=meshapps-vpc --subnet=meshapps-subnet --vpc-egress=all-traffic --quiet\ngcloud beta run deploy proxy',
      'meshes/meshapps --network=meshapps-vpc --subnet=meshapps-subnet --vpc-egress=private-ranges-only --quiet\ngcloud beta run deploy proxy',
    );
    expect(found).toMatch(
      /docs\/deploy\.md: line \d+: differs from what pnpm deploy:commands generates for client/,
    );
    expect(found).toContain('--vpc-egress=private-ranges-only --quiet\n    generated:');
  });

  it('a guide that shows no deploy command fails (the agreement check must have something to hold)', () => {
    expect(checkWith('docs/deploy.md', /^gcloud beta run deploy .*$/gm, '')).toContain(
      'shows no `gcloud beta run deploy` command',
    );
  });
});
