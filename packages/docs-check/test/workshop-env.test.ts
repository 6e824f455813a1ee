import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTerraform } from '@meshapps/infra-checks';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';

/**
 * workshop-env.sh's own lines, sourced as a tab does, with gcloud and terraform stand-ins first on
 * PATH (and an empty toolchain script: what it installs is not the subject here).
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'workshop-env-'));
  dirs.push(d);
  return d;
}

function standIn(bin: string, name: string, script: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** $PROJECT_ID and $ELB_IP after `source workshop-env.sh`, with terraform printing `terraformOut`. */
function sourced(terraformOut: string): { PROJECT_ID: string; ELB_IP: string } {
  const clone = tempDir();
  copyFileSync(join(REPO_ROOT, 'workshop-env.sh'), join(clone, 'workshop-env.sh'));
  mkdirSync(join(clone, '.ci'));
  writeFileSync(join(clone, '.ci', 'toolchain.sh'), '');
  const bin = tempDir();
  standIn(bin, 'gcloud', 'echo my-project');
  writeFileSync(join(bin, 'terraform-output'), terraformOut);
  standIn(bin, 'terraform', `cat "${join(bin, 'terraform-output')}"`);
  const run = spawnSync(
    'bash',
    ['-c', 'source "$1/workshop-env.sh" && printf "%s\\n%s" "$PROJECT_ID" "$ELB_IP"', 'bash', clone],
    { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: clone } },
  );
  expect(run.status, run.stderr).toBe(0);
  const [PROJECT_ID = '', ELB_IP = ''] = run.stdout.split('\n');
  return { PROJECT_ID, ELB_IP };
}

/** What Terraform prints on stdout, exit 0, for `output -raw` before any apply (no state). */
const NO_OUTPUTS =
  '\x1b[33m╷\x1b[0m\x1b[0m\n\x1b[33m│\x1b[0m \x1b[0m\x1b[1m\x1b[33mWarning: \x1b[0m\x1b[0m\x1b[1mNo outputs found\x1b[0m\n\x1b[33m╵\x1b[0m\x1b[0m\n';

describe('workshop-env.sh', () => {
  it('after terraform apply: the load balancer address from the state, and the project', () => {
    expect(sourced('203.0.113.10')).toEqual({ PROJECT_ID: 'my-project', ELB_IP: '203.0.113.10' });
  });

  it('before terraform apply: $ELB_IP is empty, not the warning Terraform prints on stdout', () => {
    expect(sourced(NO_OUTPUTS).ELB_IP).toBe('');
  });

  it('the stand-in above is what Terraform does: the warning on stdout, exit 0', (ctx: TestContext) => {
    const terraform = findTerraform();
    if (!terraform.found) {
      if (terraform.required) expect.fail(terraform.message);
      ctx.skip(terraform.message);
    }
    const dir = tempDir();
    writeFileSync(join(dir, 'main.tf'), 'output "load_balancer_ip" {\n  value = "203.0.113.10"\n}\n');
    const run = spawnSync('terraform', [`-chdir=${dir}`, 'output', '-raw', 'load_balancer_ip'], {
      encoding: 'utf8',
      env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('No outputs found');
  });
});
