import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Findings } from '../errors.ts';
import { CLOUD_SHELL_TERRAFORM, compareVersions } from '../terraform/language-versions.ts';
import { type BuildConfig, type BuildStep, stepRoles, waitClosure } from './check.ts';

/**
 * Real Terraform in Cloud Build, where providers can be downloaded: a config that deploys must
 * first run a pinned `hashicorp/terraform` image with `init -backend=false`, `validate` and
 * `fmt -check` on infra/terraform — the release Cloud Shell has (CLOUD_SHELL_TERRAFORM), so the
 * build proves what the guide's CLI accepts — and a test step that runs with CI=true must get a
 * terraform binary from such an image (the Terraform cross-check fails without one).
 */
const IMAGE = /^hashicorp\/terraform:(\d+)\.(\d+)\.(\d+)$/;
const ON_DIR = /(?:-chdir=|\bcd\s+)infra\/terraform\b/;

/** versions.tf's `required_version` (e.g. ">= 1.5.7"), if the repository has one. */
export function requiredTerraformVersion(root: string): string | undefined {
  const file = join(root, 'infra', 'terraform', 'versions.tf');
  if (!existsSync(file)) return undefined;
  return /required_version\s*=\s*"([^"]+)"/.exec(readFileSync(file, 'utf8'))?.[1];
}

/** What makes a step the Terraform validation: the image, the directory and the three commands. */
export function isTerraformValidation(step: BuildStep): boolean {
  const script = step.script ?? '';
  return (
    step.name.startsWith('hashicorp/terraform') &&
    ON_DIR.test(script) &&
    /\binit\b[^\n]*-backend=false/.test(script) &&
    /\bvalidate\b/.test(script) &&
    /\bfmt\b[^\n]*-check/.test(script)
  );
}

/** The directory a `cp "$(command -v terraform)" DIR/terraform` line leaves the binary in. */
function binaryDir(step: BuildStep): string | undefined {
  if (!step.name.startsWith('hashicorp/terraform')) return undefined;
  return /\bcp\s+"?\$\(command -v terraform\)"?\s+(\S+)\/terraform\b/.exec(step.script ?? '')?.[1];
}

export function checkTerraformSteps(
  config: BuildConfig,
  file: string,
  findings: Findings,
  requiredVersion?: string,
): void {
  const steps = config.steps;
  const closure = waitClosure(steps);
  const name = (i: number) => steps[i]?.id ?? `steps[${i}]`;
  const validations = steps.flatMap((s, i) => (isTerraformValidation(s) ? [i] : []));
  const deploys = steps.flatMap((s, i) => (stepRoles(s).includes('deploy') ? [i] : []));

  if (deploys.length > 0) {
    findings.expect(
      validations.length > 0,
      file,
      'steps',
      'deploys without validating Terraform: add a step with a pinned hashicorp/terraform:X.Y.Z image running `terraform -chdir=infra/terraform init -backend=false`, `validate` and `fmt -check` (only there can the providers be downloaded and their schemas checked)',
    );
  }
  for (const d of deploys) {
    for (const v of validations) {
      findings.expect(
        closure[d]?.has(v) === true,
        file,
        `steps[${d}].waitFor`,
        `"${name(d)}" (deploy) does not wait for "${name(v)}" (terraform validate): nothing ships before real Terraform accepts the configuration`,
      );
    }
  }
  steps.forEach((step, i) => {
    if (!step.name.startsWith('hashicorp/terraform')) return;
    const pinned = IMAGE.exec(step.name);
    findings.expect(
      pinned !== null,
      file,
      `steps[${i}].name`,
      `${step.name}: pin the terraform image to an exact release (hashicorp/terraform:X.Y.Z), as the providers are pinned`,
    );
    const min = /^>=\s*(\d+\.\d+\.\d+)$/.exec(requiredVersion ?? '')?.[1];
    if (!pinned) return;
    const version = pinned.slice(1).join('.');
    if (min) {
      findings.expect(
        compareVersions(version, min) >= 0,
        file,
        `steps[${i}].name`,
        `${step.name} is older than versions.tf's required_version ${requiredVersion}`,
      );
    }
    findings.expect(
      version === CLOUD_SHELL_TERRAFORM,
      file,
      `steps[${i}].name`,
      `${step.name} is not the Terraform Cloud Shell has (${CLOUD_SHELL_TERRAFORM}): validate with the CLI the guide uses, or the build accepts what terraform init refuses in Cloud Shell (decision 062)`,
    );
  });
  checkTestStepsGetTerraform(steps, closure, file, findings);
}

/** `pnpm test` with CI=true fails without terraform: it must come from a terraform step, on PATH. */
function checkTestStepsGetTerraform(
  steps: readonly BuildStep[],
  closure: Set<number>[],
  file: string,
  findings: Findings,
): void {
  const providers = steps.flatMap((s, i) => {
    const dir = binaryDir(s);
    return dir ? [{ i, dir }] : [];
  });
  steps.forEach((step, i) => {
    const script = step.script ?? '';
    const ci = (step.env ?? []).includes('CI=true');
    if (!ci || !/\bpnpm (?:--\S+ )*test\b/.test(script)) return;
    const ok = providers.some(
      (p) => closure[i]?.has(p.i) && new RegExp(`PATH="?${escapeRegex(p.dir)}:`).test(script),
    );
    findings.expect(
      ok,
      file,
      `steps[${i}].script`,
      `runs pnpm test with CI=true without a terraform binary: wait for a hashicorp/terraform step that copies it (cp "$(command -v terraform)" /workspace/.tools/bin/terraform) and put that directory first on PATH; CI fails the Terraform cross-check without it`,
    );
  });
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
