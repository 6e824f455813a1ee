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

  it("passes the topology's env: to the container, and catches Terraform that drops it", async () => {
    const root = tempRepo();
    edit(root, 'infra/topology.yaml', (t) =>
      t.replace(
        '  target-green:\n    app: target\n',
        '  target-green:\n    app: target\n    env: { FAIL_PERCENT: "20" }\n',
      ),
    );
    expect(await check(root)).toBe('');
    edit(root, 'infra/terraform/services.tf', (t) =>
      t.replace('for_each = try(each.value.env, {})', 'for_each = {}'),
    );
    expect(await check(root)).toContain(
      'service["target-green"].template.containers.env.FAIL_PERCENT: is undefined, the topology\'s env says "20"',
    );
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
      t.replace('  name     = each.key', '  name     = each.key == "target3" ? "target9" : each.key'),
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
        .replace('for_each = each.value.mesh ? [google_compute_subnetwork.mesh.name] : []', 'for_each = []')
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
      t.replace('default     = "10.8.0.0/20"', 'default     = "10.0.0.0/27"'),
    );
    const found = await check(root);
    expect(found).toContain('needs a /26 or larger subnet');
    expect(found).toContain('the DNS placeholder 10.0.0.1 lies inside 10.0.0.0/27');
    expect(found).toContain('variable.subnet_cidr.validation');
  });

  // One planted mistake per rule: [what, file, change, message the check must report].
  const planted: [string, string, (t: string) => string, string][] = [
    [
      'a mesh member without roles/trafficdirector.client',
      'infra/terraform/iam.tf',
      (t) =>
        t.replace('role    = "roles/trafficdirector.client"', 'role    = "roles/trafficdirector.viewer"'),
      'meshapps-client is a mesh member and needs roles/trafficdirector.client',
    ],
    [
      'no roles/telemetry.tracesWriter',
      'infra/terraform/iam.tf',
      (t) => t.replace('    "roles/telemetry.tracesWriter",\n', ''),
      'meshapps-proxy needs roles/telemetry.tracesWriter',
    ],
    [
      'no roles/cloudtrace.agent',
      'infra/terraform/iam.tf',
      (t) => t.replace('    "roles/cloudtrace.agent",\n', ''),
      'meshapps-target1 needs roles/cloudtrace.agent',
    ],
    [
      'a wrong topology-to-ingress mapping',
      'infra/terraform/locals.tf',
      (t) => t.replace('= "INGRESS_TRAFFIC_INTERNAL_ONLY"', '= "INGRESS_TRAFFIC_ALL"'),
      'expected INGRESS_TRAFFIC_INTERNAL_ONLY (topology ingress: internal), got INGRESS_TRAFFIC_ALL',
    ],
    [
      'the run.app URL disabled',
      'infra/terraform/services.tf',
      (t) => t.replace('default_uri_disabled = false', 'default_uri_disabled = true'),
      'set default_uri_disabled = false',
    ],
    [
      'deletion protection left on',
      'infra/terraform/services.tf',
      (t) => t.replace('deletion_protection = false', 'deletion_protection = true'),
      'set deletion_protection = false',
    ],
    [
      'a service running as another identity',
      'infra/terraform/services.tf',
      (t) =>
        t.replace(
          'service_account = google_service_account.service[each.key].email',
          'service_account = google_service_account.deployer.email',
        ),
      'expected the email of service account "meshapps-proxy"',
    ],
    [
      'min instances 0 by default (the first curl after idle meets a cold chain)',
      'infra/terraform/variables.tf',
      (t) => t.replace(/(variable "min_instances" \{[\s\S]*?default\s+=) 1/, '$1 0'),
      'is 0 by default: keep one warm instance per service for the workshop',
    ],
    [
      'CPU throttled after the response (spans exported later are lost)',
      'infra/terraform/variables.tf',
      (t) => t.replace(/(variable "cpu_always_allocated" \{[\s\S]*?default\s+=) true/, '$1 false'),
      'keep CPU allocated after the response (cpu_idle = false)',
    ],
    [
      'the image no longer ignored (an apply would roll revisions back)',
      'infra/terraform/services.tf',
      (t) => t.replace('      template[0].containers[0].image,\n', ''),
      'ignore template[0].containers[0].image',
    ],
    [
      'a mesh wait shorter than 60 s',
      'infra/terraform/variables.tf',
      (t) => t.replace('default     = "90s"', 'default     = "30s"'),
      'need a time_sleep of ≥ 60 s that depends on the mesh and on the roles/trafficdirector.client grants',
    ],
    [
      'a mesh wait that does not follow the trafficdirector.client grants',
      'infra/terraform/mesh.tf',
      (t) => t.replace('    google_project_iam_member.mesh_client,\n', ''),
      'need a time_sleep of ≥ 60 s that depends on the mesh and on the roles/trafficdirector.client grants',
    ],
    [
      'a public mesh DNS zone',
      'infra/terraform/dns.tf',
      (t) => t.replace('visibility = "private"', 'visibility = "public"'),
      'the mesh zone must be private',
    ],
    [
      'a mesh DNS zone bound to another VPC',
      'infra/terraform/dns.tf',
      (t) =>
        t.replace(
          'network_url = google_compute_network.mesh.id',
          'network_url = "projects/other/global/networks/default"',
        ),
      'bind the zone to the mesh VPC',
    ],
    [
      'a public DNS placeholder address',
      'infra/terraform/variables.tf',
      (t) => t.replace('default     = "10.0.0.1"', 'default     = "100.64.0.1"'),
      '100.64.0.1 is not an RFC 1918 address',
    ],
    [
      'a mesh backend no route names',
      'infra/terraform/backends.tf',
      (t) =>
        t.replaceAll(
          'for_each = local.mesh_destinations',
          'for_each = toset(concat(tolist(local.mesh_destinations), ["without-mesh-target"]))',
        ),
      'mesh backend "without-mesh-target" is named by no route',
    ],
    [
      'a variable without a description',
      'infra/terraform/variables.tf',
      (t) => t.replace(/(variable "memory" \{)\n\s*description = .*\n/, '$1\n'),
      'variable.memory: every variable needs a description',
    ],
    [
      'a provider version range instead of a pin',
      'infra/terraform/versions.tf',
      (t) => t.replace(/(source\s+=\s+"hashicorp\/time"\n\s+version\s+=) "[^"]+"/, '$1 "~> 0.14"'),
      'pin the time provider to an exact version (got "~> 0.14")',
    ],
    [
      'google and google-beta on different releases',
      'infra/terraform/versions.tf',
      (t) => t.replace(/(source\s+=\s+"hashicorp\/google-beta"\n\s+version\s+=) "[^"]+"/, '$1 "8.3.0"'),
      'must be the same release',
    ],
    [
      'launch_stage BETA on services without preview features (a diff on every plan)',
      'infra/terraform/services.tf',
      (t) => t.replace('launch_stage = each.value.mesh ? "BETA" : null', 'launch_stage = "BETA"'),
      'service["without-mesh-target"].launch_stage: is BETA on a service that uses no preview feature',
    ],
    [
      "every service sampling every request (the caller's sampled flag ignored)",
      'infra/terraform/variables.tf',
      (t) => t.replace('default     = "parentbased_always_on"', 'default     = "always_on"'),
      'service["proxy"].template.containers.env.OTEL_TRACES_SAMPLER: is always_on by default on a service that is no entry',
    ],
    [
      'an entry service that waits for a sampled caller',
      'infra/terraform/services.tf',
      (t) =>
        t.replace(
          'each.value.entry != "none" ? var.entry_traces_sampler',
          'each.value.entry != "none" ? var.traces_sampler',
        ),
      'service["client"].template.containers.env.OTEL_TRACES_SAMPLER: is parentbased_always_on by default on an entry service',
    ],
    [
      'the load-balancer entry with ingress internal (the load balancer cannot reach it)',
      'infra/topology.yaml',
      (t) => t.replace('ingress: internal-and-cloud-load-balancing', 'ingress: internal'),
      'entry: load-balancer with ingress INGRESS_TRAFFIC_INTERNAL_ONLY (topology ingress: internal) blocks the load balancer',
    ],
    [
      'the participant entry with ingress internal',
      'infra/topology.yaml',
      (t) =>
        t.replace(
          '    ingress: all\n    entry: participant',
          '    ingress: internal\n    entry: participant',
        ),
      'entry: participant with ingress INGRESS_TRAFFIC_INTERNAL_ONLY',
    ],
    [
      'a mesh member whose subnet is not in its network',
      'infra/terraform/services.tf',
      (t) => t.replace('network    = google_compute_network.mesh.name', 'network    = "default"'),
      'needs Direct VPC egress (vpc_access.network_interfaces with the mesh network and subnet)',
    ],
  ];
  it.each(planted)('catches %s', async (_what, file, change, message) => {
    const root = tempRepo();
    edit(root, file, change);
    expect(await check(root)).toContain(message);
  });
});
