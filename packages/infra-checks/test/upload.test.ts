import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkShape, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it, type TestContext } from 'vitest';
import { parse } from 'yaml';
import { checkCloudBuild } from '../src/cloudbuild/check.ts';
import { replayNodeSteps } from '../src/cloudbuild/replay-steps.ts';
import { CLOUD_BUILD } from '../src/cloudbuild/shape.ts';
import { cloneLike, copyUpload, gcloudVersion, listUpload } from '../src/cloudbuild/upload.ts';
import { tempDir } from './helpers.ts';

/**
 * The build as gcloud uploads it (decision 060): `gcloud meta list-files-for-upload` — the file
 * chooser `gcloud builds submit` uses — lists a participant's clone; only those files are copied
 * into an empty /workspace; every Node step of cloudbuild.yaml and infra/cloudbuild/routes.yaml
 * runs there exactly as declared (install, lint, typecheck, the deploy gate, the deploy script,
 * the route render). No .git, no .gitignore: a step that needs either fails here as in Cloud Build.
 */
const gcloud = gcloudVersion();

/** gcloud is on CI's machine: there its absence fails; elsewhere the test says it did not run. */
function needsGcloud(ctx: TestContext): void {
  if (gcloud) return;
  const why = 'gcloud is not on PATH: the upload cannot be listed as gcloud lists it';
  if (process.env.CI === 'true') expect.fail(`${why} (CI=true: CI must run this test)`);
  ctx.skip(`${why} (install the Google Cloud CLI to run it)`);
}

/** What a participant's clone may hold that must never reach Cloud Build. */
const NEVER_UPLOADED = [
  'node_modules/left-pad/index.js',
  'packages/call/node_modules/x/index.js',
  'apps/client/dist/main.js',
  '.tools/bin/terraform',
  '.turbo/cache/x',
  '.meshapps/routes.tsv',
  'coverage/index.html',
  'infra/terraform/terraform.tfvars',
  'infra/terraform/terraform.tfstate',
  'infra/terraform/terraform.tfstate.backup',
  'infra/terraform/.terraform/providers/x',
];

/** The upload of a clone of `root`, copied alone into a fresh workspace. */
function uploaded(
  root = REPO_ROOT,
  change?: (clone: string) => void,
): { files: string[]; workspace: string } {
  const clone = tempDir('clone');
  cloneLike(root, clone, NEVER_UPLOADED);
  change?.(clone);
  const files = listUpload(clone);
  const workspace = tempDir('workspace');
  copyUpload(clone, files, workspace);
  rmSync(clone, { recursive: true, force: true });
  return { files, workspace };
}

const tail = (text: string) => text.split('\n').slice(-40).join('\n');

describe('the build, in the files gcloud uploads', () => {
  it('leaves out .git, .gitignore and what is installed, built or secret, with or without .gcloudignore', {
    timeout: 120_000,
  }, (ctx) => {
    needsGcloud(ctx);
    const clone = tempDir('clone');
    cloneLike(REPO_ROOT, clone, NEVER_UPLOADED);
    const files = listUpload(clone);
    expect(files).toEqual(expect.arrayContaining(['cloudbuild.yaml', 'package.json', 'pnpm-lock.yaml']));
    expect(files.filter((f) => f === '.gitignore' || f === '.git' || f.startsWith('.git/'))).toEqual([]);
    expect(files.filter((f) => NEVER_UPLOADED.includes(f))).toEqual([]);
    // gcloud's own default (no .gcloudignore) chooses the same files: either way, the same build.
    rmSync(join(clone, '.gcloudignore'));
    expect(listUpload(clone)).toEqual(files.filter((f) => f !== '.gcloudignore'));
  });

  it('runs every Node step of the Cloud Build configs there, as declared, and each passes', {
    timeout: 15 * 60_000,
  }, async (ctx) => {
    needsGcloud(ctx);
    const { files, workspace } = uploaded();
    expect(files).not.toContain('.gitignore');
    const { builds, errors } = checkCloudBuild(workspace);
    expect(errors).toEqual([]);
    const summary: string[] = [];
    for (const { file, config } of builds) {
      const replay = await replayNodeSteps({
        config,
        workspace,
        log: (l) => summary.push(`${file}: ${l}`),
      });
      console.log(summary.splice(0).join('\n'));
      const failed = replay.ran.find((s) => !s.ok);
      expect(failed, failed && `${file} step ${failed.id} failed:\n${tail(failed.output)}`).toBeUndefined();
      const nodeSteps = config.steps.filter((s) => s.name.startsWith('node:')).map((s) => s.id);
      expect(replay.ran.map((s) => s.id).sort()).toEqual(nodeSteps.sort());
    }
    // The gate a deploy waits for is among them, read from the config, not restated here.
    const main = builds.find((b) => b.file.endsWith('/cloudbuild.yaml'));
    expect(main?.config.steps.map((s) => s.script ?? '').join('\n')).toMatch(/pnpm test:deploy/);
  });

  it.for([
    ['needs .git', 'git rev-parse HEAD'],
    ['needs .gitignore', 'test -f .gitignore'],
  ] as const)('fails a planted step that %s', { timeout: 120_000 }, async ([_what, script], ctx) => {
    needsGcloud(ctx);
    const planted = `steps:\n  - id: planted\n    name: node:24\n    script: ${script}\n`;
    const { workspace } = uploaded(REPO_ROOT, (clone) =>
      writeFileSync(join(clone, 'cloudbuild.yaml'), planted),
    );
    const checked = checkShape(parse(readFileSync(join(workspace, 'cloudbuild.yaml'), 'utf8')), CLOUD_BUILD);
    if (!checked.ok) throw new Error('the planted config must be a valid build config');
    const replay = await replayNodeSteps({ config: checked.value, workspace });
    expect(replay.ran.map((s) => [s.id, s.ok])).toEqual([['planted', false]]);
  });

  it('replays only Node steps, and says which it leaves to Cloud Build', async () => {
    const workspace = tempDir('workspace');
    cpSync(join(REPO_ROOT, 'package.json'), join(workspace, 'package.json'));
    const config = checkShape(parse(readFileSync(join(REPO_ROOT, 'cloudbuild.yaml'), 'utf8')), CLOUD_BUILD);
    if (!config.ok) throw new Error('cloudbuild.yaml must be a valid build config');
    const onlyOthers = {
      ...config.value,
      steps: config.value.steps.filter((s) => !s.name.startsWith('node:')),
    };
    const replay = await replayNodeSteps({ config: onlyOthers, workspace });
    expect(replay.ran).toEqual([]);
    expect(replay.notReplayed.map((s) => s.image)).toContain('hashicorp/terraform:1.5.7');
  });
});
