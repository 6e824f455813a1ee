import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * The files of a repository as git sees them: tracked and untracked, not the ignored ones, paths
 * relative to `root`. In a checkout git lists them. Where there is no `.git` — the files `gcloud
 * builds submit` uploads, a trigger's source — the tree is walked with the same ignore rules
 * instead (the root .gitignore when present, read by the `ignore` package, which implements
 * gitignore's rules), so a copy of the repository needs no git history (decision 060).
 */
export function repositoryFiles(root: string): string[] {
  return gitFiles(root) ?? walkFiles(root);
}

/** `git ls-files` of tracked and untracked files; undefined where `root` is no git checkout. */
export function gitFiles(root: string): string[] | undefined {
  const run = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    // Not the caller's global excludes: the repository's own rules only.
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
  if (run.error || run.status !== 0) return undefined;
  return run.stdout.split('\0').filter(Boolean);
}

/**
 * Every file under `root` but `.git`, `node_modules` (never part of a copy: it is linked) and what
 * the root .gitignore ignores. Symbolic links are files, as git treats them.
 */
export function walkFiles(root: string): string[] {
  const rules: Ignore = ignore().add(['.git', 'node_modules']);
  const gitignore = join(root, '.gitignore');
  if (existsSync(gitignore)) rules.add(readFileSync(gitignore, 'utf8'));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = relative(root, join(dir, entry.name));
      if (entry.isDirectory()) {
        if (!rules.ignores(`${rel}/`)) walk(join(dir, entry.name));
      } else if (!rules.ignores(rel)) files.push(rel);
    }
  };
  walk(root);
  return files.sort();
}
