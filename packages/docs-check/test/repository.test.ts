import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoName } from '../src/participant.ts';
import { pictureBaseUrl } from '../src/pictures.ts';
import { repository } from '../src/repository.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A repository root whose package.json has `repository` as given. */
function rootWith(repo: unknown): string {
  const root = mkdtempSync(join(tmpdir(), 'meshapps-repository-'));
  roots.push(root);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ repository: repo }));
  return root;
}

describe("package.json's repository.url, read once", () => {
  it('names the GitHub repository, with or without git+ and .git', () => {
    const github = { url: 'https://github.com/OWNER/meshapps', owner: 'OWNER', name: 'meshapps' };
    for (const url of ['git+https://github.com/OWNER/meshapps.git', 'https://github.com/OWNER/meshapps'])
      expect(repository(rootWith({ type: 'git', url }))).toEqual(github);
    expect(pictureBaseUrl(rootWith({ url: 'https://github.com/OWNER/meshapps.git' }))).toBe(
      'https://raw.githubusercontent.com/OWNER/meshapps/HEAD/docs/workshop/images/',
    );
  });

  it('names a clone elsewhere, but reads pictures from GitHub only', () => {
    const root = rootWith({ url: 'https://gitlab.com/group/meshapps.git' });
    expect(repository(root)).toEqual({
      url: 'https://gitlab.com/group/meshapps',
      owner: 'group',
      name: 'meshapps',
    });
    expect(repoName(root)).toBe('meshapps');
    expect(pictureBaseUrl(root)).toBeUndefined();
  });

  it('is empty without a repository.url, and the clone then has no name', () => {
    const root = rootWith(undefined);
    expect(repository(root)).toEqual({ url: '', owner: '', name: '' });
    expect(() => repoName(root)).toThrow(/no repository\.url/);
  });
});
