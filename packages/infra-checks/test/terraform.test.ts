import { join } from 'node:path';
import { loadRoutes, loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { checkTerraform } from '../src/terraform/index.ts';
import { addTopologyService, edit, messages, tempRepo } from './helpers.ts';

async function check(root: string): Promise<string> {
  const topology = loadTopology(join(root, 'infra/topology.yaml'));
  const routes = loadRoutes(join(root, 'infra/routes'), topology);
  return messages(await checkTerraform({ root, topology, routes }));
}

describe('Terraform, planned offline and cross-checked with the topology', () => {
  it('creates exactly what the topology and routes describe', async () => {
    expect(await check(REPO_ROOT)).toBe('');
  });

  it('follows the topology: a service added there (with a route) is fully provisioned', async () => {
    const root = tempRepo();
    addTopologyService(root);
    expect(await check(root)).toBe('');
  });

  it('catches a hard-coded service list that stops following the topology', async () => {
    const root = tempRepo();
    addTopologyService(root);
    edit(root, 'infra/terraform/services.tf', (t) =>
      t.replace(
        'for_each = local.services\n',
        'for_each = { for n in ["client", "proxy", "target", "target-green", "target1", "target2", "target3", "without-mesh-client", "without-mesh-target"] : n => local.services[n] }\n',
      ),
    );
    const found = await check(root);
    expect(found).toContain('topology service "target4" has no Cloud Run service');
  });

  it('catches a Cloud Run service that is not in the topology', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/services.tf', (t) =>
      t.replace('  name         = each.key', '  name         = each.key == "target3" ? "target9" : each.key'),
    );
    const found = await check(root);
    expect(found).toContain('Cloud Run service "target9" is not in the topology');
    expect(found).toContain('topology service "target3" has no Cloud Run service');
  });

  it('catches a deleted invoker resource', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/iam.tf', (t) =>
      t.replace(/resource "google_cloud_run_v2_service_iam_member" "service_invoker" \{[\s\S]*?\n\}\n/, ''),
    );
    const found = await check(root);
    expect(found).toContain('missing binding target1 <- serviceAccount:meshapps-proxy');
    expect(found).toContain('missing binding proxy <- serviceAccount:meshapps-client');
  });

  it('catches invoker bindings built from the wrong side (caller and callee swapped)', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/iam.tf', (t) =>
      t.replace(
        'google_cloud_run_v2_service.service[each.value.service].name\n  location = var.region\n  role     = "roles/run.invoker"\n  member   = "serviceAccount:${google_service_account.service[each.value.caller].email}"',
        'google_cloud_run_v2_service.service[each.value.caller].name\n  location = var.region\n  role     = "roles/run.invoker"\n  member   = "serviceAccount:${google_service_account.service[each.value.service].email}"',
      ),
    );
    const found = await check(root);
    expect(found).toContain('missing binding target1 <- serviceAccount:meshapps-proxy');
    expect(found).toContain('binding proxy <- serviceAccount:meshapps-target1 is not in the topology');
  });

  it('catches service_mesh under the GA provider', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/services.tf', (t) => t.replace(/\n\s*provider = google-beta\n/, '\n'));
    expect(await check(root)).toContain('service_mesh exists only in the google-beta provider');
  });

  it('catches a backend service or forwarding rule without an explicit scheme', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/lb.tf', (t) =>
      t.replace(
        /(resource "google_compute_global_forwarding_rule"[\s\S]*?)\n\s*load_balancing_scheme = "EXTERNAL_MANAGED"/,
        '$1',
      ),
    );
    expect(await check(root)).toContain(
      'google_compute_global_forwarding_rule.lb.load_balancing_scheme: set load_balancing_scheme explicitly',
    );
  });

  it('catches health checks on a serverless-NEG backend', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/backends.tf', (t) =>
      t.replace(
        '  protocol              = "HTTP"\n',
        '  protocol              = "HTTP"\n  health_checks         = ["projects/p/global/healthChecks/hc"]\n',
      ),
    );
    expect(await check(root)).toContain('no health_checks on a backend service with serverless NEG backends');
  });

  it('catches a mesh member without Direct VPC egress, and no wait after the mesh', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/services.tf', (t) =>
      t
        .replace('for_each = each.value.mesh ? [google_compute_subnetwork.mesh.id] : []', 'for_each = []')
        .replace('  depends_on = [time_sleep.mesh_settle]\n', ''),
    );
    const found = await check(root);
    expect(found).toContain('needs Direct VPC egress');
    expect(found).toContain('must depend on the time_sleep');
  });

  it('catches a wildcard DNS record that is missing', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/dns.tf', (t) =>
      t.replace(
        'name         = "*.${google_dns_managed_zone.mesh.dns_name}"',
        'name         = "target1.${google_dns_managed_zone.mesh.dns_name}"',
      ),
    );
    expect(await check(root)).toContain('no wildcard A record *.meshapps.internal.');
  });

  it('catches a reference that cannot evaluate (a service the topology does not have)', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/lb.tf', (t) =>
      t.replace(
        'google_cloud_run_v2_service.service[local.lb_entry].name',
        'google_cloud_run_v2_service.service["frontend"].name',
      ),
    );
    expect(await check(root)).toContain('has no instance "frontend"');
  });

  it('catches a subnet smaller than /26 and a DNS placeholder inside it', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/variables.tf', (t) =>
      t.replace('default     = "10.8.0.0/26"', 'default     = "10.0.0.0/27"'),
    );
    const found = await check(root);
    expect(found).toContain('needs a /26 or larger subnet');
    expect(found).toContain('the DNS placeholder 10.0.0.1 lies inside 10.0.0.0/27');
    expect(found).toContain('variable.subnet_cidr.validation');
  });
});
