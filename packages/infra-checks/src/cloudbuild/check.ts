import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigError, checkShape } from '@meshapps/mesh-config';
import { parse } from 'yaml';
import { Findings } from '../errors.ts';
import { checkDynamicSubstitutions } from './dynamic-substitutions.ts';
import { BUILT_IN_SUBSTITUTIONS, type BuildConfig, type BuildStep, CLOUD_BUILD } from './shape.ts';
import { checkTerraformSteps, requiredTerraformVersion } from './terraform-step.ts';

export type { BuildConfig, BuildStep };

export interface LoadedBuild {
  file: string;
  config: BuildConfig;
}

/** The Cloud Build configs of the repository: cloudbuild.yaml and infra/cloudbuild/*.yaml. */
export function buildConfigFiles(root: string): string[] {
  const dir = join(root, 'infra', 'cloudbuild');
  const extra = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  return [join(root, 'cloudbuild.yaml'), ...extra];
}

/** `$$` is an escaped dollar; `$NAME` / `${NAME}` are substitutions (upper case or `_X`). */
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)/g;

export function references(text: string): string[] {
  return [...text.matchAll(REFERENCE)].flatMap((m) => ((m[1] ?? m[2]) ? [m[1] ?? (m[2] as string)] : []));
}

/** Loads and checks Cloud Build configs; returns the loaded ones with the findings. */
export function checkCloudBuild(
  root: string,
  files = buildConfigFiles(root),
): { builds: LoadedBuild[]; errors: ConfigError[] } {
  const findings = new Findings(root);
  const builds: LoadedBuild[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      findings.add(file, '(document)', `not valid YAML: ${(err as Error).message}`);
      continue;
    }
    const checked = checkShape(doc, CLOUD_BUILD);
    if (!checked.ok) {
      for (const e of checked.errors) findings.add(file, e.path, e.message);
      continue;
    }
    const config = checked.value;
    checkSteps(config, file, findings);
    checkSubstitutions(config, file, findings);
    checkImages(config, file, findings);
    checkLogging(config, file, findings);
    checkTestSteps(config, file, findings);
    checkOrder(config, file, findings);
    checkDynamicSubstitutions(config, file, findings);
    checkTerraformSteps(config, file, findings, requiredTerraformVersion(root));
    builds.push({ file, config });
  }
  return { builds, errors: findings.errors };
}

function checkSteps(config: BuildConfig, file: string, findings: Findings): void {
  const ids = new Map<string, number>();
  config.steps.forEach((step, i) => {
    if (step.id) {
      findings.expect(!ids.has(step.id), file, `steps[${i}].id`, `duplicate step id "${step.id}"`);
      ids.set(step.id, i);
    }
    if (step.script !== undefined) {
      findings.expect(
        step.args === undefined && step.entrypoint === undefined,
        file,
        `steps[${i}]`,
        'a step with script cannot also set args or entrypoint',
      );
    }
  });
  config.steps.forEach((step, i) => {
    for (const w of step.waitFor ?? []) {
      if (w === '-') continue;
      const at = ids.get(w);
      findings.expect(
        at !== undefined,
        file,
        `steps[${i}].waitFor`,
        `waits for "${w}", but no step has that id`,
      );
      findings.expect(
        at === undefined || at < i,
        file,
        `steps[${i}].waitFor`,
        `waits for "${w}", which comes later`,
      );
    }
  });
}

function checkSubstitutions(config: BuildConfig, file: string, findings: Findings): void {
  const defined = new Set(Object.keys(config.substitutions ?? {}));
  for (const name of defined) {
    findings.expect(
      /^_[A-Z0-9_]+$/.test(name),
      file,
      `substitutions.${name}`,
      'user substitutions must start with "_" and use A-Z, 0-9, _',
    );
  }
  const used = new Set<string>();
  const known = (name: string) => BUILT_IN_SUBSTITUTIONS.has(name) || defined.has(name);
  const expectKnown = (text: string, path: string) => {
    for (const name of references(text)) {
      used.add(name);
      findings.expect(
        known(name),
        file,
        path,
        `uses \${${name}}, which is neither defined in substitutions nor built in`,
      );
    }
  };
  const automapAll = config.options?.automapSubstitutions === true;
  config.steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    expectKnown(step.name, `${at}.name`);
    for (const [j, a] of (step.args ?? []).entries()) expectKnown(a, `${at}.args[${j}]`);
    for (const [j, e] of (step.env ?? []).entries()) expectKnown(e, `${at}.env[${j}]`);
    if (step.dir) expectKnown(step.dir, `${at}.dir`);
    if (step.entrypoint) expectKnown(step.entrypoint, `${at}.entrypoint`);
    if (step.script !== undefined) {
      // Scripts see substitutions only as environment variables (automapSubstitutions);
      // other $NAMEs there are the script's own shell variables.
      const automap = step.automapSubstitutions ?? automapAll;
      for (const name of references(step.script)) {
        const substitution = name.startsWith('_') || BUILT_IN_SUBSTITUTIONS.has(name);
        if (!substitution) continue;
        used.add(name);
        findings.expect(
          known(name),
          file,
          `${at}.script`,
          `uses $${name}, which is neither defined in substitutions nor built in`,
        );
        findings.expect(
          automap,
          file,
          `${at}.script`,
          `uses $${name}: set automapSubstitutions so scripts see substitutions`,
        );
      }
    }
  });
  for (const [i, img] of (config.images ?? []).entries()) expectKnown(img, `images[${i}]`);
  for (const name of defined) {
    findings.expect(
      used.has(name),
      file,
      `substitutions.${name}`,
      'defined but never used (Cloud Build rejects unmatched substitutions)',
    );
  }
}

/** `images` must be exactly the images the docker steps build (so each is pushed and recorded). */
function checkImages(config: BuildConfig, file: string, findings: Findings): void {
  const built = new Set(config.steps.flatMap((s) => (s.args?.[0] === 'build' ? taggedImages(s.args) : [])));
  const listed = new Set(config.images ?? []);
  for (const img of listed)
    findings.expect(built.has(img), file, 'images', `${img} is listed but no step builds it`);
  for (const img of built)
    findings.expect(listed.has(img), file, 'images', `${img} is built but not listed in images`);
}

export function taggedImages(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === '-t' || a === '--tag') out.push(args[i + 1] ?? '');
    else if (a.startsWith('--tag=')) out.push(a.slice('--tag='.length));
  });
  return out;
}

export function buildArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  args.forEach((a, i) => {
    const value = a === '--build-arg' ? args[i + 1] : a.startsWith('--build-arg=') ? a.slice(12) : undefined;
    const [k, ...v] = (value ?? '').split('=');
    if (value && k) out[k] = v.join('=');
  });
  return out;
}

/**
 * Every config in this repository runs as a user-specified service account: the Terraform
 * deployer, passed with `gcloud builds submit --service-account` and `triggers create
 * --service-account` (docs/deploy.md). Cloud Build then refuses the default logs bucket ("if
 * 'build.service_account' is specified, the build must either (a) specify 'build.logs_bucket', (b)
 * use the REGIONAL_USER_OWNED_BUCKET … option, or (c) use either CLOUD_LOGGING_ONLY / NONE").
 */
function checkLogging(config: BuildConfig, file: string, findings: Findings): void {
  const logging = config.options?.logging;
  const ok =
    logging === 'CLOUD_LOGGING_ONLY' ||
    logging === 'STACKDRIVER_ONLY' ||
    logging === 'NONE' ||
    Boolean(config.logsBucket) ||
    config.options?.defaultLogsBucketBehavior === 'REGIONAL_USER_OWNED_BUCKET';
  findings.expect(
    ok,
    file,
    'options.logging',
    `is ${logging ?? 'unset'}, but the build runs as ${config.serviceAccount ?? 'the Terraform deployer (--service-account)'}: Cloud Build then refuses the default logs bucket; set options.logging: CLOUD_LOGGING_ONLY (or a logsBucket)`,
  );
}

/** `pnpm test` itself (the whole suite), not a `pnpm test:…` subset such as test:deploy. */
const WHOLE_SUITE = /\bpnpm (?:--\S+ )*test(?![\w:-])/;

/**
 * The whole suite (`pnpm test`) includes the trace viewer page test, which drives Debian's
 * /usr/bin/chromium, and it belongs in CI (.ci/run): a build that deploys runs the deploy gate
 * (`pnpm test:deploy`) and takes minutes, not the suite (decision 061).
 */
function checkTestSteps(config: BuildConfig, file: string, findings: Findings): void {
  const deploys = config.steps.some((s) => stepRoles(s).includes('deploy'));
  config.steps.forEach((step, i) => {
    const script = step.script ?? '';
    const test = script.search(WHOLE_SUITE);
    if (test < 0 || !step.name.startsWith('node:')) return;
    findings.expect(
      !deploys,
      file,
      `steps[${i}].script`,
      "runs the whole suite (pnpm test) in a build that deploys: run the deploy gate (pnpm test:deploy) there; the suite, with Chromium, is CI's (.ci/run)",
    );
    const install = script.search(/apt-get install[^\n]*\bchromium\b/);
    findings.expect(
      install >= 0 && install < test,
      file,
      `steps[${i}].script`,
      `runs pnpm test in ${step.name} without installing Debian's chromium first: the trace viewer page test needs /usr/bin/chromium (apt-get update && apt-get install -y chromium, as .ci/run does)`,
    );
  });
}

/**
 * For each step, every step it waits for, directly or through others. Cloud Build: no waitFor =
 * all earlier steps; '-' = none (start at once). Unknown or later ids are reported by checkSteps.
 */
export function waitClosure(steps: readonly BuildStep[]): Set<number>[] {
  const ids = new Map<string, number>();
  steps.forEach((s, i) => {
    if (s.id && !ids.has(s.id)) ids.set(s.id, i);
  });
  const closure: Set<number>[] = [];
  steps.forEach((step, i) => {
    const direct =
      step.waitFor === undefined
        ? [...Array(i).keys()]
        : step.waitFor.flatMap((w) => {
            const at = ids.get(w);
            return at !== undefined && at < i ? [at] : [];
          });
    const all = new Set<number>();
    for (const d of direct) {
      all.add(d);
      for (const x of closure[d] ?? []) all.add(x);
    }
    closure.push(all);
  });
  return closure;
}

/** What a step does, read from its command: the roles the ordering rules talk about. */
export type StepRole = 'check' | 'push' | 'deploy-script' | 'deploy' | 'routes-render' | 'routes-import';

export function stepRoles(step: BuildStep): StepRole[] {
  const script = step.script ?? '';
  const roles: StepRole[] = [];
  if (/\bpnpm (?:--\S+ )*(?:test|lint|typecheck)\b/.test(script)) roles.push('check');
  if (step.args?.[0] === 'push') roles.push('push');
  if (script.includes('deploy:commands')) roles.push('deploy-script');
  if (/\bbash\s+\S*deploy\.sh\b/.test(script)) roles.push('deploy');
  if (script.includes('routes:render')) roles.push('routes-render');
  if (script.includes('import-routes.sh')) roles.push('routes-import');
  return roles;
}

/** [role, must come after role, why] — checked through waitFor, transitively. */
const ORDER: [StepRole, StepRole, string][] = [
  ['push', 'check', 'only images that passed lint, typecheck and test may reach the registry'],
  ['deploy', 'push', 'the revisions deploy images that must already be in the registry'],
  ['deploy', 'deploy-script', 'it runs the script that step writes'],
  ['routes-import', 'routes-render', 'it imports the files that step renders'],
  ['routes-import', 'deploy', 'routes switch traffic only after the revisions they send it to are deployed'],
];

function checkOrder(config: BuildConfig, file: string, findings: Findings): void {
  const steps = config.steps;
  const closure = waitClosure(steps);
  const name = (i: number) => steps[i]?.id ?? `steps[${i}]`;
  const withRole = (role: StepRole) => steps.flatMap((s, i) => (stepRoles(s).includes(role) ? [i] : []));
  for (const [role, after, why] of ORDER) {
    for (const i of withRole(role)) {
      for (const j of withRole(after)) {
        if (i === j) continue;
        findings.expect(
          closure[i]?.has(j) === true,
          file,
          `steps[${i}].waitFor`,
          `"${name(i)}" (${role}) does not wait for "${name(j)}" (${after}), directly or through another step: ${why}`,
        );
      }
    }
  }
}
