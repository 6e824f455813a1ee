import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, shownPath } from '../src/index.ts';

describe('shownPath: a file as messages name it', () => {
  it('is relative to the repository inside it', () => {
    expect(shownPath(join(REPO_ROOT, 'infra', 'routes', 'target.yaml'))).toBe(
      join('infra', 'routes', 'target.yaml'),
    );
  });

  it('is as given outside the repository, not a climb of ../', () => {
    const outside = resolve(REPO_ROOT, '..', 'elsewhere', 'routes.yaml');
    expect(shownPath(outside)).toBe(outside);
    expect(shownPath(resolve(REPO_ROOT, '..'))).toBe(resolve(REPO_ROOT, '..'));
  });

  it('keeps a name that only starts with two dots inside the repository', () => {
    expect(shownPath(join(REPO_ROOT, '..routes.yaml'))).toBe('..routes.yaml');
  });

  it('is the root as given, not an empty string', () => {
    expect(shownPath(REPO_ROOT)).toBe(REPO_ROOT);
  });
});
