import { join } from 'node:path';
import { fileOf, type TerraformContext } from './context.ts';
import type { Body } from './module.ts';
import { blocks, mentions, referenced } from './refs.ts';

/**
 * Rules on the configuration as written (they must hold whatever the topology says): provider
 * placement, explicit load-balancing schemes, no health checks on serverless backends, documented
 * variables, pinned providers.
 */
export function checkStatic(ctx: TerraformContext): void {
  const { plan, findings } = ctx;
  const mod = plan.module;
  for (const r of mod.resources) {
    const at = `${r.type}.${r.name}`;
    const file = join(ctx.dir, r.file);
    const provider =
      typeof r.body.provider === 'string' ? r.body.provider.replace(/^\$\{|\}$/g, '') : undefined;
    if (mentions(r.body, 'service_mesh')) {
      findings.expect(
        provider === 'google-beta',
        file,
        `${at}.provider`,
        'service_mesh exists only in the google-beta provider: set provider = google-beta (the GA provider fails with "Unsupported block type")',
      );
    }
    if (r.type === 'google_compute_backend_service' || /forwarding_rule$/.test(r.type)) {
      findings.expect(
        'load_balancing_scheme' in r.body,
        file,
        `${at}.load_balancing_scheme`,
        'set load_balancing_scheme explicitly (provider 8 changed the default from EXTERNAL to EXTERNAL_MANAGED)',
      );
    }
  }
  for (const backend of plan.ofType('google_compute_backend_service')) {
    if (!('health_checks' in backend.config)) continue;
    const serverless = blocks(backend.config, 'backend').some(
      (b) => referenced(plan, b.group)?.config.network_endpoint_type === 'SERVERLESS',
    );
    findings.expect(
      !serverless,
      fileOf(ctx, backend),
      `${backend.address}.health_checks`,
      'no health_checks on a backend service with serverless NEG backends (the API rejects it)',
    );
  }
  for (const [name, body] of mod.variables) {
    findings.expect(
      typeof body.description === 'string' && body.description.length > 0,
      join(ctx.dir, 'variables.tf'),
      `variable.${name}`,
      'every variable needs a description',
    );
  }
  checkValidations(ctx);
  checkVersions(ctx);
}

/** Variable validations hold for the values the plan uses (defaults unless given). */
function checkValidations(ctx: TerraformContext): void {
  const { plan, findings } = ctx;
  for (const [name, body] of plan.module.variables) {
    for (const v of (body.validation as Body[] | undefined) ?? []) {
      let ok: unknown;
      try {
        ok = plan.evaluator.value(v.condition, new Map());
      } catch (err) {
        ok = (err as Error).message;
      }
      findings.expect(
        ok === true,
        join(ctx.dir, 'variables.tf'),
        `variable.${name}.validation`,
        `fails for ${JSON.stringify(plan.evaluator.variables[name])}: ${String(v.error_message)}`,
      );
    }
  }
}

function checkVersions(ctx: TerraformContext): void {
  const { findings } = ctx;
  const terraform = ctx.plan.module.other.flatMap((o) => (o.terraform as Body[] | undefined) ?? []);
  const required = terraform.flatMap((t) => (t.required_providers as Body[] | undefined) ?? [])[0] ?? {};
  const version = (p: string) => (required[p] as { version?: string } | undefined)?.version;
  for (const p of ['google', 'google-beta', 'time']) {
    // Exact (`8.4.0` or `= 8.4.0`): a range lets the next release change a default (provider 8.0.0
    // flipped load_balancing_scheme), and there is no lock file until the first terraform init.
    findings.expect(
      /^=?\s*\d+\.\d+\.\d+$/.test(version(p) ?? ''),
      join(ctx.dir, 'versions.tf'),
      `required_providers.${p}`,
      `pin the ${p} provider to an exact version (got ${JSON.stringify(version(p) ?? null)})`,
    );
  }
  findings.expect(
    version('google') === version('google-beta'),
    join(ctx.dir, 'versions.tf'),
    'required_providers.google-beta',
    `google (${String(version('google'))}) and google-beta (${String(version('google-beta'))}) must be the same release: they are generated together`,
  );
}
