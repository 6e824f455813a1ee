import { spawnSync } from 'node:child_process';

/**
 * Whether the real terraform binary is here to hold the offline evaluator to (formatting,
 * `terraform console` on every local). Elsewhere those checks cannot run; in CI (CI=true) that is
 * a failure, not a skip: CI is where the proof must happen (.ci/run on a machine that ships
 * terraform).
 */
export type TerraformBinary =
  | { found: true; version: string }
  | { found: false; required: boolean; message: string };

export function findTerraform(env: NodeJS.ProcessEnv = process.env): TerraformBinary {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8', env });
  if (!probe.error && probe.status === 0) {
    return { found: true, version: /Terraform v(\S+)/.exec(probe.stdout)?.[1] ?? 'unknown' };
  }
  const required = env.CI === 'true';
  const message = required
    ? 'terraform is not on PATH, and CI=true makes the Terraform cross-check mandatory (terraform fmt, terraform console against the offline evaluator): install Terraform >= 1.5.7 (in Cloud Build a CI=true step takes it from a hashicorp/terraform step, first on PATH)'
    : 'terraform is not on PATH: the Terraform cross-check did not run (install Terraform >= 1.5.7 to run it; with CI=true its absence fails)';
  return { found: false, required, message };
}
