import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { CHECK_VARIABLES, loadModule, Plan, terraformFmtCheck } from '../src/index.ts';
import { edit, tempDir, tempRepo } from './helpers.ts';

/**
 * Where the real terraform binary is installed (this machine, CI here) it checks formatting and
 * is the reference for the offline evaluator: `terraform console` needs no providers to evaluate
 * locals, so every local's value must match. Elsewhere (Cloud Build's node image) these skip.
 */
const hasTerraform = !spawnSync('terraform', ['version']).error;

describe.runIf(hasTerraform)('with the terraform binary', () => {
  it('terraform fmt -check passes, and catches a misformatted file', () => {
    expect(terraformFmtCheck(join(REPO_ROOT, 'infra/terraform'))?.ok).toBe(true);
    const root = tempRepo();
    edit(root, 'infra/terraform/dns.tf', (t) => t.replace('  type         = "A"', '  type = "A"'));
    const result = terraformFmtCheck(join(root, 'infra/terraform'));
    expect(result?.ok).toBe(false);
    expect(result?.output).toContain('dns.tf');
  });

  it('terraform console agrees with the offline evaluator on every local value', async () => {
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
