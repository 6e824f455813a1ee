import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { repositoryFiles } from './repository-files.ts';

/**
 * The guide's commands change files as a participant does: a weight edited in a route file,
 * `pnpm canary` writing its steps, `git checkout` putting them back. The docs test runs them — and
 * the `pnpm start` they talk to — in a throwaway copy of the repository: the same files, a git
 * history of one commit, the same installed dependencies. No block can touch the working tree of
 * whoever runs the tests, nor change infra/routes under another test reading it.
 */
export interface Sandbox {
  /** Where the blocks and the stack run; `infra/routes` there is a copy. */
  root: string;
  remove: () => void;
}

function git(root: string, args: string[]): string {
  const run = spawnSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    // Not the caller's hooks, templates or signing: a plain local commit.
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${root}: ${run.stderr}`);
  return run.stdout;
}

/**
 * Copies what git would see (tracked and untracked files, not the ignored ones) and links the
 * installed dependencies: the root `node_modules` as a link, each package's own `node_modules`
 * copied with its relative links, so `@meshapps/*` resolve to the copies (whose REPO_ROOT is the
 * sandbox) and everything else to the real store.
 */
export function makeSandbox(from = REPO_ROOT, at?: string): Sandbox {
  const root = at ?? mkdtempSync(join(tmpdir(), 'meshapps-docs-repo-'));
  mkdirSync(root, { recursive: true });
  try {
    // git's list where `from` is a checkout; without .git, the tree walked with its ignore rules.
    // .tools is linked below (a checkout may hold it as a link an older .gitignore did not ignore).
    const files = repositoryFiles(from).filter((f) => f !== '.tools' && !f.startsWith('.tools/'));
    for (const file of files) {
      const src = join(from, file);
      if (!existsSync(src)) continue; // deleted in the working tree, not yet committed
      cpSync(src, join(root, file), { verbatimSymlinks: true });
    }
    symlinkSync(join(from, 'node_modules'), join(root, 'node_modules'));
    // What the setup line's .ci/toolchain.sh installs (Node 24, pnpm): installed once, not per test.
    if (!existsSync(join(root, '.tools'))) symlinkSync(toolchainDir(from), join(root, '.tools'));
    for (const top of ['apps', 'packages']) {
      if (!existsSync(join(from, top))) continue;
      for (const name of readdirSync(join(from, top))) {
        const modules = join(from, top, name, 'node_modules');
        if (existsSync(modules) && lstatSync(modules).isDirectory())
          cpSync(modules, join(root, top, name, 'node_modules'), { recursive: true, verbatimSymlinks: true });
      }
    }
    git(root, ['init', '-q', '-b', 'main']);
    // node_modules and .tools are links, which .gitignore's `node_modules/` and `.tools/` (directories) miss.
    appendFileSync(join(root, '.git', 'info', 'exclude'), '/node_modules\n/.tools\n');
    git(root, ['add', '-A']);
    git(root, [
      '-c',
      'user.name=docs-check',
      '-c',
      'user.email=docs-check@localhost',
      'commit',
      '-q',
      '--no-verify',
      '-m',
      'the repository as the docs test found it',
    ]);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Files a block left changed, added or deleted in the sandbox (as `git status` names them). */
export function changedFiles(root: string): string[] {
  return git(root, ['status', '--porcelain', '--untracked-files=all'])
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/** Node 24 and pnpm as `.ci/toolchain.sh` installs them, with the versions it checks for. */
function toolchainReady(dir: string, root: string): boolean {
  const node = readFileSync(join(root, '.node-version'), 'utf8').trim();
  const pnpm = /"packageManager": "pnpm@([0-9.]+)\+/.exec(
    readFileSync(join(root, 'package.json'), 'utf8'),
  )?.[1];
  const version = (bin: string) =>
    spawnSync(join(dir, 'node_modules', '.bin', bin), ['--version'], { encoding: 'utf8' }).stdout?.trim();
  return version('node') === `v${node}` && version('pnpm') === pnpm;
}

/**
 * Where the setup line's toolchain comes from in the copy: the checkout's own `.tools/` (CI and
 * `. .ci/toolchain.sh` make it), else a cache under node_modules/.cache filled once from the npm
 * registry — never a download per test.
 */
export function toolchainDir(from = REPO_ROOT): string {
  const own = join(from, '.tools');
  if (existsSync(own) && toolchainReady(own, from)) return own;
  const cache = join(from, 'node_modules', '.cache', 'meshapps-docs-check', 'tools');
  if (!toolchainReady(cache, from)) {
    const node = readFileSync(join(from, '.node-version'), 'utf8').trim();
    const pnpm = /"packageManager": "pnpm@([0-9.]+)\+/.exec(
      readFileSync(join(from, 'package.json'), 'utf8'),
    )?.[1];
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    const npm = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        cache,
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `node@${node}`,
        `pnpm@${pnpm}`,
      ],
      { encoding: 'utf8' },
    );
    if (npm.status !== 0) throw new Error(`installing the toolchain cache in ${cache} failed: ${npm.stderr}`);
  }
  return cache;
}
