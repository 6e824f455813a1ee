import { join } from 'node:path';
import type { ExpressionType } from '@cdktn/hcl2json/build/syntax-tree.js';
import type { TerraformContext } from './context.ts';
import type { Body, TerraformModule } from './module.ts';

/**
 * The Terraform CLI the guide's Cloud Shell steps use: Cloud Shell ships 1.5.x, and 1.5.7 is the
 * last MPL-licensed release (tentwentyone/terraforming-the-cloud-gcp-basic-part1 PR #13,
 * GoogleCloudPlatform/deploystack-wordpress-on-cloudrun issue #149). Cloud Build validates with
 * the same version (hashicorp/terraform:1.5.7), so the configuration must stay within its language
 * (decision 062).
 */
export const CLOUD_SHELL_TERRAFORM = '1.5.7';

/** Where a feature is used: `file: path`. */
type Finder = (mod: TerraformModule) => string[];

export interface LanguageFeature {
  feature: string;
  /** The first Terraform release that accepts it. */
  since: string;
  /** The changelog entry that says so. */
  source: string;
  find: Finder;
}

const CHANGELOG = (minor: string) => `hashicorp/terraform v${minor} CHANGELOG.md`;

/**
 * Language features by the Terraform release that introduced them, each with its changelog
 * source. The ones up to CLOUD_SHELL_TERRAFORM are listed so the table reads as a whole; a
 * configuration may use those. Every later one is refused.
 */
export const LANGUAGE_FEATURES: LanguageFeature[] = [
  {
    feature: '`import` blocks',
    since: '1.5.0',
    source: `${CHANGELOG('1.5')}, 1.5.0 NEW FEATURES ("import blocks")`,
    find: topLevel('import'),
  },
  {
    feature: '`check` blocks',
    since: '1.5.0',
    source: `${CHANGELOG('1.5')}, 1.5.0 NEW FEATURES ("check blocks for validating infrastructure")`,
    find: topLevel('check'),
  },
  {
    feature: '`removed` blocks',
    since: '1.7.0',
    source: `${CHANGELOG('1.7')}, 1.7.0 NEW FEATURES (config-driven remove: the "removed" block)`,
    find: topLevel('removed'),
  },
  {
    feature: '`for_each` in `import` blocks',
    since: '1.7.0',
    source: `${CHANGELOG('1.7')}, 1.7.0 ENHANCEMENTS ("for_each can now be used to expand the import block")`,
    find: (mod) =>
      blocksOf(mod, 'import').flatMap((b, i) => ('for_each' in b ? [`import[${i}].for_each`] : [])),
  },
  {
    feature: 'provider-defined functions (`provider::NAME::FUNCTION()`)',
    since: '1.8.0',
    source: `${CHANGELOG('1.8')}, 1.8.0 NEW FEATURES ("provider::provider_name::function_name()")`,
    find: (mod) => calls(mod, (name) => name.startsWith('provider::')),
  },
  {
    feature: 'the `issensitive` function',
    since: '1.8.0',
    source: `${CHANGELOG('1.8')}, 1.8.0 NEW FEATURES ("New issensitive function")`,
    find: (mod) => calls(mod, (name) => name === 'issensitive'),
  },
  {
    feature: 'input variable validation that refers to other objects',
    since: '1.9.0',
    source: `${CHANGELOG('1.9')}, 1.9.0 NEW FEATURES ("Input variable validation rules can refer to other objects")`,
    find: crossObjectValidations,
  },
  {
    feature: 'the `templatestring` function',
    since: '1.9.0',
    source: `${CHANGELOG('1.9')}, 1.9.0 NEW FEATURES ("templatestring function")`,
    find: (mod) => calls(mod, (name) => name === 'templatestring'),
  },
  {
    feature: 'ephemeral resources (`ephemeral` blocks)',
    since: '1.10.0',
    source: `${CHANGELOG('1.10')}, 1.10.0 NEW FEATURES ("Ephemeral resources")`,
    find: topLevel('ephemeral'),
  },
  {
    feature: 'ephemeral input variables and outputs (`ephemeral = true`)',
    since: '1.10.0',
    source: `${CHANGELOG('1.10')}, 1.10.0 NEW FEATURES ("Ephemeral values")`,
    find: (mod) => [
      ...[...mod.variables].flatMap(([n, b]) => ('ephemeral' in b ? [`variable.${n}.ephemeral`] : [])),
      ...[...mod.outputs].flatMap(([n, b]) => ('ephemeral' in b ? [`output.${n}.ephemeral`] : [])),
    ],
  },
  {
    feature: 'the `ephemeralasnull` function',
    since: '1.10.0',
    source: `${CHANGELOG('1.10')}, 1.10.0 NEW FEATURES ("ephemeralasnull function")`,
    find: (mod) => calls(mod, (name) => name === 'ephemeralasnull'),
  },
  {
    feature: 'write-only arguments (`*_wo`)',
    since: '1.11.0',
    source: `${CHANGELOG('1.11')}, 1.11.0 NEW FEATURES ("Add write-only attributes to resources")`,
    find: (mod) =>
      mod.resources.flatMap((r) => keysDeep(r.body, /_wo$/).map((k) => `${r.type}.${r.name}.${k}`)),
  },
  {
    feature: '`action` blocks',
    since: '1.14.0',
    source: `${CHANGELOG('1.14')}, 1.14.0 NEW FEATURES ("New top-level Actions block")`,
    find: topLevel('action'),
  },
];

/**
 * infra/terraform stays within the language of CLOUD_SHELL_TERRAFORM: `required_version` is
 * `>= 1.5.7` (the floor is the version the guide and Cloud Build use), and no feature of a later
 * release appears (the table above, by version, from HashiCorp's changelog).
 */
export function checkLanguageVersion(ctx: TerraformContext): void {
  const { findings } = ctx;
  const mod = ctx.plan.module;
  const versionsFile = join(ctx.dir, 'versions.tf');
  const required = requiredVersion(mod);
  findings.expect(
    required === `>= ${CLOUD_SHELL_TERRAFORM}`,
    versionsFile,
    'terraform.required_version',
    `is ${JSON.stringify(required ?? null)}: write ">= ${CLOUD_SHELL_TERRAFORM}", the Terraform Cloud Shell has (the guide's CLI, and Cloud Build's terraform-validate image); a higher floor makes terraform init fail in Cloud Shell`,
  );
  for (const f of LANGUAGE_FEATURES) {
    if (compareVersions(f.since, CLOUD_SHELL_TERRAFORM) <= 0) continue;
    for (const where of f.find(mod)) {
      findings.add(
        ctx.dir,
        where,
        `uses ${f.feature}, which needs Terraform ${f.since} (${f.source}); Cloud Shell has ${CLOUD_SHELL_TERRAFORM}: write it without`,
      );
    }
  }
}

export function requiredVersion(mod: TerraformModule): string | undefined {
  const terraform = mod.other.flatMap((o) => (o.terraform as Body[] | undefined) ?? []);
  const found = terraform.map((t) => t.required_version).find((v) => typeof v === 'string');
  return found as string | undefined;
}

/** -1, 0 or 1 for two `X.Y.Z` versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let k = 0; k < 3; k++) {
    const d = (pa[k] ?? 0) - (pb[k] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function blocksOf(mod: TerraformModule, kind: string): Body[] {
  return mod.other.flatMap((o) => {
    const v = o[kind];
    if (v === undefined) return [];
    // Unlabelled blocks parse to a list of bodies; labelled ones to maps of them.
    return Array.isArray(v) ? (v as Body[]) : [v as Body];
  });
}

function topLevel(kind: string): Finder {
  return (mod) => blocksOf(mod, kind).map((_b, i) => `${kind}[${i}]`);
}

/** Every parsed expression of the module, with the template text it came from. */
function expressions(mod: TerraformModule): [string, ExpressionType][] {
  return [...mod.templates].flatMap(([text, parts]) =>
    parts.flatMap((p) => (typeof p === 'string' ? [] : [[text, p] as [string, ExpressionType]])),
  );
}

function walk(node: ExpressionType, visit: (n: ExpressionType) => void): void {
  visit(node);
  for (const c of node.children ?? []) walk(c, visit);
}

function calls(mod: TerraformModule, match: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const [text, expr] of expressions(mod)) {
    walk(expr, (n) => {
      if (n.type === 'function' && match(n.meta.name)) out.push(`${n.meta.name}() in ${text}`);
    });
  }
  return out;
}

/** Before 1.9 a validation may refer only to its own variable (var.NAME). */
function crossObjectValidations(mod: TerraformModule): string[] {
  const resourceTypes = new Set(mod.resources.map((r) => r.type));
  const out: string[] = [];
  for (const [name, body] of mod.variables) {
    for (const [i, v] of ((body.validation as Body[] | undefined) ?? []).entries()) {
      for (const key of ['condition', 'error_message']) {
        const parts = typeof v[key] === 'string' ? (mod.templates.get(v[key] as string) ?? []) : [];
        for (const part of parts) {
          if (typeof part === 'string') continue;
          walk(part, (n) => {
            if (n.type !== 'scopeTraversal') return;
            const [root, next] = n.meta.traversal.map((t) => t.segment);
            const other =
              (root === 'var' && next !== name) ||
              root === 'local' ||
              root === 'data' ||
              root === 'module' ||
              resourceTypes.has(root ?? '');
            if (other) out.push(`variable.${name}.validation[${i}].${key}: ${n.meta.value}`);
          });
        }
      }
    }
  }
  return out;
}

/** Keys (at any depth) matching `pattern`, as dotted paths. */
function keysDeep(value: unknown, pattern: RegExp, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keysDeep(v, pattern, at));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(pattern.test(k) ? [`${at}${k}`] : []),
    ...keysDeep(v, pattern, `${at}${k}.`),
  ]);
}
