import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { type BuildStep, buildConfigFiles, checkCloudBuild, waitClosure } from '../src/cloudbuild/check.ts';
import { edit, messages, tempRepo } from './helpers.ts';

function checkFile(path: string, change: (text: string) => string): string {
  const root = tempRepo();
  edit(root, path, change);
  return messages(checkCloudBuild(root, [join(root, path)]).errors);
}
const checkMain = (change: (text: string) => string) => checkFile('cloudbuild.yaml', change);
const checkRoutes = (change: (text: string) => string) => checkFile('infra/cloudbuild/routes.yaml', change);

describe('Cloud Build configs against the config schema', () => {
  it('accepts cloudbuild.yaml and infra/cloudbuild/routes.yaml', () => {
    const files = buildConfigFiles(REPO_ROOT);
    expect(files.map((f) => f.slice(REPO_ROOT.length + 1))).toEqual([
      'cloudbuild.yaml',
      'infra/cloudbuild/routes.yaml',
    ]);
    const { builds, errors } = checkCloudBuild(REPO_ROOT);
    expect(messages(errors)).toBe('');
    expect(builds).toHaveLength(2);
  });

  it('catches an undefined substitution', () => {
    expect(checkMain((t) => t.replace('--build-arg=APP=proxy', '--build-arg=APP=${_APP_NAME}'))).toContain(
      'uses ${_APP_NAME}, which is neither defined in substitutions nor built in',
    );
  });

  it('catches a substitution a script uses without automapSubstitutions', () => {
    expect(checkMain((t) => t.replace('  automapSubstitutions: true\n', ''))).toContain(
      'uses $_REGION: set automapSubstitutions so scripts see substitutions',
    );
  });

  it('catches an unknown step field (a typo Cloud Build rejects)', () => {
    expect(checkMain((t) => t.replace('    waitFor: [install]\n', '    waitfor: [install]\n'))).toContain(
      'waitfor: unknown field',
    );
  });

  it('catches waitFor naming a step that does not exist', () => {
    expect(
      checkMain((t) => t.replace('waitFor: [routes-render, deploy]', 'waitFor: [routes-render, deploy-all]')),
    ).toContain('waits for "deploy-all", but no step has that id');
  });

  it('catches an image listed but never built, and one built but not listed', () => {
    const found = checkMain((t) => {
      const [steps, images] = t.split('\nimages:\n');
      return `${steps}\nimages:\n${images?.replace('/proxy:', '/gateway:')}`;
    });
    expect(found).toContain('gateway:${_TAG} is listed but no step builds it');
    expect(found).toContain('proxy:${_TAG} is built but not listed in images');
  });

  it('catches a substitution that is defined but never used', () => {
    expect(
      checkMain((t) => t.replace('  _SUBNET: meshapps-subnet\n', '  _SUBNET: meshapps-subnet\n  _ZONE: a\n')),
    ).toContain('substitutions._ZONE: defined but never used');
  });

  it('catches a step with both script and args', () => {
    expect(
      checkMain((t) =>
        t.replace(
          '    script: bash /workspace/deploy.sh\n',
          '    script: bash /workspace/deploy.sh\n    args: [x]\n',
        ),
      ),
    ).toContain('a step with script cannot also set args or entrypoint');
  });

  it('follows waitFor as Cloud Build does: none = every earlier step, "-" = none, transitively', () => {
    const steps: BuildStep[] = [
      { name: 'a', id: 'a' },
      { name: 'b', id: 'b', waitFor: ['-'] },
      { name: 'c', id: 'c', waitFor: ['a'] },
      { name: 'd', id: 'd', waitFor: ['c'] },
      { name: 'e', id: 'e' },
    ];
    expect(waitClosure(steps).map((s) => [...s].sort())).toEqual([[], [], [0], [0, 2], [0, 1, 2, 3]]);
  });

  // One planted mistake per rule; each used to pass every check.
  const planted: [string, () => string, string][] = [
    [
      'a deploy build that runs the whole suite (minutes of browser tests before every deploy)',
      () => checkMain((t) => t.replace('&& pnpm test:deploy', '&& pnpm test')),
      'runs the whole suite (pnpm test) in a build that deploys: run the deploy gate (pnpm test:deploy) there',
    ],
    [
      'a step running the whole suite without Debian chromium (the trace viewer page test fails)',
      () => checkMain((t) => t.replace('&& pnpm test:deploy', '&& pnpm test')),
      "runs pnpm test in node:24 without installing Debian's chromium first",
    ],
    [
      'a deploy that does not wait for one of the pushes',
      () =>
        checkMain((t) =>
          t.replace(
            'waitFor: [terraform-validate, deploy-script, push-client, push-proxy, push-target]',
            'waitFor: [terraform-validate, deploy-script, push-client, push-proxy]',
          ),
        ),
      '"deploy" (deploy) does not wait for "push-target" (push)',
    ],
    [
      'a push that does not wait for the tests',
      () =>
        checkMain((t) =>
          t.replace(
            'waitFor: [lint, typecheck, test, build-client]',
            'waitFor: [lint, typecheck, build-client]',
          ),
        ),
      '"push-client" (push) does not wait for "test" (check)',
    ],
    [
      'routes imported before the deploy',
      () => checkMain((t) => t.replace('waitFor: [routes-render, deploy]', 'waitFor: [routes-render]')),
      '"routes-import" (routes-import) does not wait for "deploy" (deploy)',
    ],
    [
      'routes imported before they are rendered (routes.yaml)',
      () => checkRoutes((t) => t.replace('waitFor: [routes-render]', "waitFor: ['-']")),
      '"routes-import" (routes-import) does not wait for "routes-render" (routes-render)',
    ],
    [
      'a machineType typo',
      () =>
        checkMain((t) =>
          t.replace(
            '  logging: CLOUD_LOGGING_ONLY\n',
            '  logging: CLOUD_LOGGING_ONLY\n  machineType: E2_HIGHCPU8\n',
          ),
        ),
      'options.machineType: must be one of UNSPECIFIED, N1_HIGHCPU_8',
    ],
    [
      'a logging typo',
      () => checkRoutes((t) => t.replace('logging: CLOUD_LOGGING_ONLY', 'logging: CLOUD_LOGGING')),
      'options.logging: must be one of LOGGING_UNSPECIFIED',
    ],
    [
      'no options.logging while the build runs as the deployer service account',
      () =>
        checkMain((t) =>
          t.replace(/\n {2}# Required when the build runs as .*\n {2}logging: CLOUD_LOGGING_ONLY/, ''),
        ),
      'options.logging: is unset, but the build runs as the Terraform deployer',
    ],
    [
      'a config that deploys without the real Terraform validation step',
      () =>
        checkMain((t) =>
          t
            .replace(/ {2}# Real Terraform before anything ships[\s\S]*?fmt -check -recursive -diff\n\n/, '')
            .replace('waitFor: [terraform-validate, deploy-script,', 'waitFor: [deploy-script,'),
        ),
      'deploys without validating Terraform: add a step with a pinned hashicorp/terraform:X.Y.Z image',
    ],
    [
      'a Terraform step that validates without init -backend=false (not recognised as the validation)',
      () => checkMain((t) => t.replace('init -backend=false -input=false', 'init -input=false')),
      'deploys without validating Terraform',
    ],
    [
      'a deploy that does not wait for terraform validate',
      () =>
        checkMain((t) =>
          t.replace('waitFor: [terraform-validate, deploy-script,', 'waitFor: [deploy-script,'),
        ),
      '"deploy" (deploy) does not wait for "terraform-validate" (terraform validate)',
    ],
    [
      'a floating terraform image',
      () => checkMain((t) => t.replaceAll('hashicorp/terraform:1.5.7', 'hashicorp/terraform:latest')),
      'hashicorp/terraform:latest: pin the terraform image to an exact release',
    ],
    [
      'a terraform image older than versions.tf allows',
      () => checkMain((t) => t.replaceAll('hashicorp/terraform:1.5.7', 'hashicorp/terraform:1.5.6')),
      "hashicorp/terraform:1.5.6 is older than versions.tf's required_version >= 1.5.7",
    ],
    [
      "a terraform image newer than Cloud Shell's (the build would accept what Cloud Shell refuses)",
      () => checkMain((t) => t.replaceAll('hashicorp/terraform:1.5.7', 'hashicorp/terraform:1.11.4')),
      'hashicorp/terraform:1.11.4 is not the Terraform Cloud Shell has (1.5.7)',
    ],
    [
      'a CI=true test step without a terraform binary (infra:check then fails on terraform fmt)',
      () =>
        checkMain((t) =>
          t.replace(
            'env: [COREPACK_ENABLE_DOWNLOAD_PROMPT=0, COREPACK_HOME=/workspace/.corepack]\n    script: corepack enable && pnpm test:deploy',
            'env: [COREPACK_ENABLE_DOWNLOAD_PROMPT=0, COREPACK_HOME=/workspace/.corepack, CI=true]\n    script: corepack enable && pnpm test:deploy',
          ),
        ),
      'runs pnpm test with CI=true without a terraform binary',
    ],
    [
      '_TAG defaulting to the commit without dynamic substitutions (a manual build tags the literal text)',
      () => checkMain((t) => t.replace('  dynamicSubstitutions: true\n', '')),
      'substitutions._TAG: defaults to "${COMMIT_SHA}", which names another substitution: set options.dynamicSubstitutions: true',
    ],
  ];
  it.each(planted)('catches %s', (_what, run, message) => {
    expect(run()).toContain(message);
  });
});
