import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it, type TestContext } from 'vitest';
import { CHECK_VARIABLES, findTerraform, loadModule, Plan, terraformFmtCheck } from '../src/index.ts';
import { edit, tempDir, tempRepo } from './helpers.ts';

/**
 * The real terraform binary is the reference for the offline evaluator: it checks formatting, and
 * `terraform console` (no providers needed) must agree on every local. CI (CI=true: .ci/run, and
 * Cloud Build's test step, which gets the binary from the pinned hashicorp/terraform image) must
 * have it: there a missing binary fails here. Elsewhere a test that needs it is reported skipped,
 * with the reason, never passed.
 */
const terraform = findTerraform();
function needTerraform(ctx: TestContext): void {
  if (terraform.found) return;
  if (terraform.required) expect.fail(terraform.message);
  ctx.skip(terraform.message);
}

describe('where terraform must be', () => {
  const noTerraform = { PATH: tempDir('no-terraform') };
  it('CI=true without a terraform binary is a failure with a clear message, not a skip', () => {
    const missing = findTerraform({ ...noTerraform, CI: 'true' });
    expect(missing).toEqual({ found: false, required: true, message: expect.stringContaining('CI=true') });
    expect(findTerraform({ ...noTerraform })).toMatchObject({ found: false, required: false });
  });
  it('finds the binary on PATH and reads its version', () => {
    const bin = tempDir('fake-terraform');
    writeFileSync(join(bin, 'terraform'), '#!/bin/sh\necho "Terraform v1.11.4"\n');
    chmodSync(join(bin, 'terraform'), 0o755);
    expect(findTerraform({ PATH: `${bin}:/usr/bin:/bin`, CI: 'true' })).toEqual({
      found: true,
      version: '1.11.4',
    });
  });
});

describe('with the terraform binary', () => {
  it('terraform fmt -check passes, and catches a misformatted file', (ctx) => {
    needTerraform(ctx);
    expect(terraformFmtCheck(join(REPO_ROOT, 'infra/terraform'))?.ok).toBe(true);
    const root = tempRepo();
    edit(root, 'infra/terraform/dns.tf', (t) => t.replace('  type         = "A"', '  type = "A"'));
    const result = terraformFmtCheck(join(root, 'infra/terraform'));
    expect(result?.ok).toBe(false);
    expect(result?.output).toContain('dns.tf');
  });

  it('terraform console agrees with the offline evaluator on every local value', async (ctx) => {
    needTerraform(ctx);
    const mod = await loadModule(join(REPO_ROOT, 'infra/terraform'));
    const plan = new Plan(mod, CHECK_VARIABLES);
    // Only locals and variables: no providers needed, so `terraform console` works offline.
    const dir = tempDir('tf-console');
    cpSync(join(REPO_ROOT, 'infra/topology.yaml'), join(dir, 'topology.yaml'));
    cpSync(join(REPO_ROOT, 'infra/routes'), join(dir, 'routes'), { recursive: true });
    mkdirSync(join(dir, 'terraform'));
    // The locals and variable blocks exactly as written (terraform fmt keeps `}` in column 0).
    const source = mod.files
      .map((f) => readFileSync(join(REPO_ROOT, 'infra/terraform', f), 'utf8'))
      .join('\n');
    const blocks = source.match(/^(locals|variable "[^"]+") \{\n[\s\S]*?\n\}$/gm) ?? [];
    writeFileSync(join(dir, 'terraform/main.tf'), blocks.join('\n\n'));
    const names = [...mod.locals.keys()];
    // One expression: piped into `terraform console`, only the last result is printed.
    const input = `jsonencode({ ${names.map((n) => `${n} = local.${n}`).join(', ')} })\n`;
    const vars = Object.entries(CHECK_VARIABLES).flatMap(([k, v]) => [
      '-var',
      `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
    ]);
    const r = spawnSync('terraform', ['console', ...vars], {
      cwd: join(dir, 'terraform'),
      input,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const fromTerraform = JSON.parse(JSON.parse(r.stdout.trim()) as string) as Record<string, unknown>;
    for (const name of names) {
      expect(JSON.parse(JSON.stringify(plan.evaluator.local(name))), `local.${name}`).toEqual(
        fromTerraform[name],
      );
    }
  });
});
