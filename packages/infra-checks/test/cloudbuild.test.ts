import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { buildConfigFiles, checkCloudBuild } from '../src/cloudbuild/check.ts';
import { edit, messages, tempRepo } from './helpers.ts';

function checkMain(change: (text: string) => string): string {
  const root = tempRepo();
  edit(root, 'cloudbuild.yaml', change);
  return messages(checkCloudBuild(root, [join(root, 'cloudbuild.yaml')]).errors);
}

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
    expect(found).toContain('gateway:$COMMIT_SHA is listed but no step builds it');
    expect(found).toContain('proxy:$COMMIT_SHA is built but not listed in images');
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
});
