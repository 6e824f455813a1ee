import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { afterAll, describe, expect, it } from 'vitest';
import { gitFiles, repositoryFiles, walkFiles } from '../src/repository-files.ts';
import { changedFiles, makeSandbox } from '../src/sandbox.ts';

/**
 * The docs test copies the repository before running the guide's blocks. Where there is no .git
 * (the files gcloud uploads, a trigger's source) the copy walks the tree with the ignore rules,
 * and must see what git sees.
 */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'meshapps-nogit-'));
  made.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

describe('the repository copy without git', () => {
  it("walks this repository to exactly git's list of files", () => {
    const fromGit = gitFiles(REPO_ROOT)?.filter((f) => existsSync(join(REPO_ROOT, f)));
    expect(fromGit?.length).toBeGreaterThan(100);
    expect(walkFiles(REPO_ROOT)).toEqual([...(fromGit ?? [])].sort());
  });

  it('without .git, applies .gitignore where it is and always leaves node_modules out', () => {
    const withRules = tree({
      '.gitignore': 'dist/\n*.tsbuildinfo\n',
      'src/a.ts': 'x',
      'dist/a.js': 'x',
      'packages/p/dist/b.js': 'x',
      'tsconfig.tsbuildinfo': 'x',
      'node_modules/x/index.js': 'x',
    });
    expect(gitFiles(withRules)).toBeUndefined();
    expect(repositoryFiles(withRules)).toEqual(['.gitignore', 'src/a.ts']);
    // As gcloud uploads it: no .gitignore at all.
    const upload = tree({
      'src/a.ts': 'x',
      'node_modules/x/index.js': 'x',
      'packages/p/node_modules/y.js': 'x',
    });
    expect(repositoryFiles(upload)).toEqual(['src/a.ts']);
  });

  it('makes the sandbox from a tree without .git: the files, committed, node_modules linked', () => {
    const from = tree({ 'package.json': '{}\n', 'src/a.ts': 'x', 'node_modules/x/index.js': 'x' });
    const sandbox = makeSandbox(from);
    try {
      expect(existsSync(join(sandbox.root, 'src/a.ts'))).toBe(true);
      expect(lstatSync(join(sandbox.root, 'node_modules')).isSymbolicLink()).toBe(true);
      expect(changedFiles(sandbox.root)).toEqual([]);
    } finally {
      sandbox.remove();
    }
  });
});
