import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The Docker build context without Docker: the repository minus what .dockerignore excludes.
 * Supports the pattern forms our .dockerignore uses (`name`, `dir/name`, `**\/name`, `*` within a
 * segment); exceptions (`!pattern`) are refused rather than half-implemented.
 */
export function readDockerignore(root: string): string[] {
  const file = join(root, '.dockerignore');
  if (!existsSync(file)) return [];
  const patterns = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const exception = patterns.find((p) => p.startsWith('!'));
  if (exception)
    throw new Error(`.dockerignore exception "${exception}" is not supported by the offline context`);
  return patterns;
}

function toRegex(pattern: string): RegExp {
  let re = '';
  const p = pattern.replace(/^\.?\//, '').replace(/\/$/, '');
  for (let i = 0; i < p.length; i++) {
    if (p.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (p.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (p[i] === '*') re += '[^/]*';
    else if (p[i] === '?') re += '[^/]';
    else re += (p[i] as string).replace(/[.+^$()|[\]{}\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(?:/.*)?$`);
}

export function ignoredBy(patterns: readonly string[]): (path: string) => boolean {
  const regexes = patterns.map(toRegex);
  return (path) => regexes.some((r) => r.test(path));
}

/** Copies the build context of `root` into `dest`; returns the copied relative paths. */
export function copyContext(root: string, dest: string): string[] {
  const ignored = ignoredBy(readDockerignore(root));
  const copied: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(root, full);
      if (ignored(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        mkdirSync(dirname(join(dest, rel)), { recursive: true });
        copyFileSync(full, join(dest, rel));
        copied.push(rel);
      }
    }
  };
  walk(root);
  return copied;
}
