import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRoutes, loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { CLOUD_SHELL_TERRAFORM, checkTerraform, LANGUAGE_FEATURES } from '../src/terraform/index.ts';
import { compareVersions, requiredVersion } from '../src/terraform/language-versions.ts';
import { loadModule } from '../src/terraform/module.ts';
import { edit, messages, tempRepo } from './helpers.ts';

/**
 * infra/terraform is applied from Cloud Shell, whose Terraform is 1.5.x (1.5.7, the last MPL
 * release): its required_version admits exactly that floor, and no language feature of a later
 * release may appear — each one planted once, from the table by version.
 */
async function check(root: string): Promise<string> {
  const topology = loadTopology(join(root, 'infra/topology.yaml'));
  const routes = loadRoutes(join(root, 'infra/routes'), topology);
  return messages(await checkTerraform({ root, topology, routes }));
}

/** Writes one more .tf file into a temp repository. */
function plantFile(root: string, name: string, text: string): void {
  writeFileSync(join(root, 'infra/terraform', name), text);
}

/** One plant per feature of the table that Cloud Shell's Terraform refuses. */
const PLANTS: Record<string, (root: string) => void> = {
  '`removed` blocks': (root) =>
    plantFile(root, 'removed.tf', 'removed {\n  from = google_dns_record_set.old\n}\n'),
  '`for_each` in `import` blocks': (root) =>
    plantFile(
      root,
      'import.tf',
      'import {\n  for_each = toset(["a"])\n  to       = google_dns_managed_zone.mesh\n  id       = each.key\n}\n',
    ),
  'provider-defined functions (`provider::NAME::FUNCTION()`)': (root) =>
    plantFile(
      root,
      'fn.tf',
      'output "zone_region" {\n  value = provider::google::region_from_zone("asia-northeast1-a")\n}\n',
    ),
  'the `issensitive` function': (root) =>
    plantFile(root, 'fn.tf', 'output "secret" {\n  value = issensitive(var.project_id)\n}\n'),
  'input variable validation that refers to other objects': (root) =>
    edit(root, 'infra/terraform/variables.tf', (t) =>
      t.replace(
        'condition     = can(cidrhost(var.subnet_cidr, 0))',
        'condition     = var.subnet_cidr != var.mesh_dns_address && can(cidrhost(var.subnet_cidr, 0))',
      ),
    ),
  'the `templatestring` function': (root) =>
    plantFile(root, 'fn.tf', 'output "greeting" {\n  value = templatestring("hi $${x}", { x = 1 })\n}\n'),
  'ephemeral resources (`ephemeral` blocks)': (root) =>
    plantFile(
      root,
      'ephemeral.tf',
      'ephemeral "google_service_account_access_token" "token" {\n  target_service_account = "a@b.iam.gserviceaccount.com"\n  scopes                 = ["cloud-platform"]\n}\n',
    ),
  'ephemeral input variables and outputs (`ephemeral = true`)': (root) =>
    plantFile(
      root,
      'ephemeral.tf',
      'variable "token" {\n  description = "x"\n  type        = string\n  default     = ""\n  ephemeral   = true\n}\n',
    ),
  'the `ephemeralasnull` function': (root) =>
    plantFile(root, 'fn.tf', 'output "token" {\n  value = ephemeralasnull(var.project_id)\n}\n'),
  'write-only arguments (`*_wo`)': (root) =>
    plantFile(
      root,
      'secret.tf',
      'resource "google_secret_manager_secret_version" "v" {\n  secret         = "projects/p/secrets/s"\n  secret_data_wo = "x"\n}\n',
    ),
  '`action` blocks': (root) =>
    plantFile(root, 'action.tf', 'action "google_example" "run" {\n  config {\n    name = "x"\n  }\n}\n'),
};

describe("Terraform as Cloud Shell has it (1.5.7, the guide's CLI)", () => {
  it('required_version is exactly the floor the guide uses, and the configuration passes', async () => {
    expect(CLOUD_SHELL_TERRAFORM).toBe('1.5.7');
    expect(requiredVersion(await loadModule(join(REPO_ROOT, 'infra/terraform')))).toBe('>= 1.5.7');
    expect(await check(REPO_ROOT)).toBe('');
  });

  it('refuses a required_version Cloud Shell cannot meet', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/versions.tf', (t) =>
      t.replace('required_version = ">= 1.5.7"', 'required_version = ">= 1.9.0"'),
    );
    expect(await check(root)).toContain(
      'terraform.required_version: is ">= 1.9.0": write ">= 1.5.7", the Terraform Cloud Shell has',
    );
  });

  it('gives every feature of the table a version and its changelog source', () => {
    for (const f of LANGUAGE_FEATURES) {
      expect(f.since, f.feature).toMatch(/^\d+\.\d+\.\d+$/);
      expect(f.source, f.feature).toMatch(/^hashicorp\/terraform v\d+\.\d+ CHANGELOG\.md, /);
    }
  });

  const later = LANGUAGE_FEATURES.filter((f) => compareVersions(f.since, CLOUD_SHELL_TERRAFORM) > 0);
  it.each(later.map((f) => [f.feature, f.since] as const))(
    'refuses %s (Terraform %s)',
    async (feature, since) => {
      const plant = PLANTS[feature];
      expect(plant, `plant a use of ${feature} in this test`).toBeDefined();
      const root = tempRepo();
      plant?.(root);
      expect(await check(root)).toContain(`uses ${feature}, which needs Terraform ${since}`);
    },
  );

  it('accepts what 1.5 has: a check block', async () => {
    const root = tempRepo();
    plantFile(
      root,
      'check.tf',
      'check "entry" {\n  assert {\n    condition     = var.region != ""\n    error_message = "region is empty"\n  }\n}\n',
    );
    expect(await check(root)).toBe('');
  });
});
