import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The files `gcloud builds submit` uploads, as gcloud itself decides them: `gcloud meta
 * list-files-for-upload` applies the directory's .gcloudignore, or gcloud's default rules where
 * there is none (the same file chooser `builds submit` uses, decision 060). It needs no
 * credentials and no network.
 */
export function listUpload(dir: string, gcloud = 'gcloud'): string[] {
  const r = spawnSync(gcloud, ['meta', 'list-files-for-upload', '.'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`gcloud meta list-files-for-upload failed in ${dir}: ${r.error?.message ?? r.stderr}`);
  }
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

/** Whether gcloud can be run here (it is on CI's machine; elsewhere it may not be). */
export function gcloudVersion(gcloud = 'gcloud'): string | undefined {
  const r = spawnSync(gcloud, ['version', '--format=json'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as Record<string, string>)['Google Cloud SDK'] ?? 'unknown';
}

/** Directories a working tree accumulates that no clone has: installed or built, never tracked. */
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', '.tools', '.turbo', '.meshapps', 'dist', 'coverage']);

/**
 * A participant's clone of the repository, for gcloud to list: the working tree without what
 * installs and builds leave behind, with an empty `.git` (a clone has one; gcloud must leave it
 * out). `planted` adds files a participant's clone may also hold (node_modules, terraform state…)
 * so the caller can check they stay out of the upload.
 */
export function cloneLike(root: string, into: string, planted: readonly string[] = []): void {
  cpSync(root, into, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => src === root || !NOT_IN_A_CLONE.has(basename(src)),
  });
  mkdirSync(join(into, '.git'), { recursive: true });
  writeFileSync(join(into, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  for (const file of planted) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    writeFileSync(join(into, file), 'planted\n');
  }
}

/** Copies `files` (relative to `from`) into `to`: the build's /workspace, nothing else in it. */
export function copyUpload(from: string, files: readonly string[], to: string): void {
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(from, file), join(to, file), { verbatimSymlinks: true });
  }
}
