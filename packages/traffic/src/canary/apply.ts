import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { REPO_ROOT, renderRoute } from '@meshapps/mesh-config';

/**
 * Writes the route file in one step (a temporary file renamed over it), so the local mesh's
 * watcher never reads half a file. The file is what `git diff` shows and route CD imports.
 */
export function writeRouteFile(file: string, text: string): void {
  const temporary = join(dirname(file), `.${basename(file)}.canary`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** The script route CD runs (infra/cloudbuild/import-routes.sh): one copy of the gcloud command. */
export const IMPORT_SCRIPT = join(REPO_ROOT, 'infra/cloudbuild/import-routes.sh');

/** How to import the route files by hand, as docs/deploy.md shows it (what route CD does). */
export function importByHand(project: string): string {
  return `mkdir -p .meshapps && pnpm --silent routes:render --project ${project} --out .meshapps/routes > .meshapps/routes.tsv && bash infra/cloudbuild/import-routes.sh .meshapps/routes.tsv ${project}`;
}

/**
 * On Google Cloud: the file as written, rendered for the project, imported with
 * `gcloud network-services http-routes import` exactly as route CD does.
 */
export async function importRoute(
  routeName: string,
  file: string,
  text: string,
  project: string,
  print: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshapps-canary-'));
  try {
    const rendered = join(dir, basename(file));
    writeFileSync(rendered, renderRoute(text, project));
    const list = join(dir, 'routes.tsv');
    writeFileSync(list, `${routeName}\t${rendered}\n`);
    const { code, output } = await run('bash', [IMPORT_SCRIPT, list, project], signal);
    for (const line of output.trim().split('\n')) if (line) print(`  ${line}`);
    if (code !== 0) throw new Error(`importing ${routeName} failed (exit ${code})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  command: string,
  args: string[],
  signal?: AbortSignal,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // With `signal` aborted (a second Ctrl-C, SIGTERM), the import is stopped rather than left running.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}
