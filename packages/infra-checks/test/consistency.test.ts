import { join } from 'node:path';
import { loadRoutes, loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { checkAll } from '../src/check-all.ts';
import { meshDestinations } from '../src/terraform/context.ts';
import { planTerraform } from '../src/terraform/index.ts';
import { addTopologyService, edit, messages, tempRepo } from './helpers.ts';

async function failures(root: string): Promise<string> {
  const reports = await checkAll(root);
  return reports
    .filter((r) => r.errors.length > 0)
    .map((r) => `[${r.section}]\n${messages(r.errors)}`)
    .join('\n');
}

describe('routes, Terraform and Cloud Build tell the same story as the topology', () => {
  it('all checks pass together on the repository', async () => {
    const reports = await checkAll(REPO_ROOT);
    expect(reports.map((r) => r.section)).toEqual([
      'routes',
      'terraform',
      'cloudbuild',
      'consistency',
      'docs',
    ]);
    expect(await failures(REPO_ROOT)).toBe('');
  });

  it('same services, same mesh, same backends everywhere', async () => {
    const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));
    const routes = loadRoutes(join(REPO_ROOT, 'infra/routes'), topology);
    const plan = await planTerraform(REPO_ROOT);
    const names = (type: string, filter: (c: Record<string, unknown>) => boolean = () => true) =>
      plan
        .ofType(type)
        .filter((i) => filter(i.config))
        .map((i) => String(i.config.name))
        .sort();
    expect(names('google_cloud_run_v2_service')).toEqual(topology.services.map((s) => s.name).sort());
    expect(names('google_network_services_mesh')).toEqual([topology.mesh.name]);
    expect(
      names('google_compute_backend_service', (c) => c.load_balancing_scheme === 'INTERNAL_SELF_MANAGED'),
    ).toEqual([...meshDestinations(routes)].sort());
    // Every route's mesh is the topology's mesh.
    for (const r of routes)
      expect(r.route.meshes).toEqual([
        `projects/\${PROJECT_ID}/locations/global/meshes/${topology.mesh.name}`,
      ]);
  });

  it('a topology service added everywhere but Cloud Build still passes (it deploys from the topology)', async () => {
    const root = tempRepo();
    addTopologyService(root);
    expect(await failures(root)).toBe('');
  });

  it('public_entry = "invoker_iam_disabled" on both sides passes: no allUsers, no invoker check on the entry', async () => {
    const root = tempRepo();
    edit(root, 'infra/terraform/variables.tf', (t) =>
      t.replace('default     = "all_users"', 'default     = "invoker_iam_disabled"'),
    );
    edit(root, 'cloudbuild.yaml', (t) =>
      t.replace('_PUBLIC_ENTRY: all_users', '_PUBLIC_ENTRY: invoker_iam_disabled'),
    );
    expect(await failures(root)).toBe('');
    const plan = await planTerraform(root);
    const client = plan.ofType('google_cloud_run_v2_service').find((r) => r.config.name === 'client');
    expect(client?.config.invoker_iam_disabled).toBe(true);
    expect(plan.ofType('google_cloud_run_v2_service_iam_member').map((b) => b.config.member)).not.toContain(
      'allUsers',
    );
  });

  it('catches Cloud Build and Terraform disagreeing on the subnet', async () => {
    const root = tempRepo();
    edit(root, 'cloudbuild.yaml', (t) => t.replace('_SUBNET: meshapps-subnet', '_SUBNET: default'));
    const found = await failures(root);
    expect(found).toContain(
      `substitutions._SUBNET: default "default" differs from Terraform's subnet_name default "meshapps-subnet"`,
    );
    expect(found).toContain(`--subnet=default is not Terraform's subnetwork "meshapps-subnet"`);
  });

  it('catches a topology app that Cloud Build never builds', async () => {
    const root = tempRepo();
    edit(root, 'infra/topology.yaml', (t) =>
      t.replace('  target3:\n    app: target', '  target3:\n    app: canary'),
    );
    expect(await failures(root)).toContain('the topology runs apps [canary, client, proxy, target]');
  });

  // One planted mistake per rule (each passed checkAll before the rule existed).
  const planted: [string, string, (t: string) => string, string][] = [
    [
      'a deploy of another tag than the pushed $_TAG',
      'cloudbuild.yaml',
      (t) => t.replace('--tag "$_TAG"', '--tag "$SHORT_SHA"'),
      'deploys ${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/client:${SHORT_SHA}, which no step pushes',
    ],
    [
      'images tagged with the commit again instead of _TAG',
      'cloudbuild.yaml',
      (t) => t.replaceAll(':${_TAG}', ':$COMMIT_SHA').replace('--tag "$_TAG"', '--tag "$COMMIT_SHA"'),
      'deploy:commands --tag is ${COMMIT_SHA}, expected ${_TAG}',
    ],
    [
      'a deploy script generated without the public-entry mode Terraform uses',
      'cloudbuild.yaml',
      (t) => t.replace(' \\\n        --public-entry "$_PUBLIC_ENTRY"', ''),
      'deploy:commands --public-entry is missing, expected ${_PUBLIC_ENTRY}',
    ],
    [
      'a deploy script generated for another subnet than the checked substitution',
      'cloudbuild.yaml',
      (t) => t.replace('--subnet "$_SUBNET"', '--subnet "$_MESH_NETWORK"'),
      'deploy:commands --subnet is ${_MESH_NETWORK}, expected ${_SUBNET}',
    ],
    [
      'private-ranges egress on the mesh members in Terraform (the deploy passes all-traffic)',
      'infra/terraform/services.tf',
      (t) => t.replace('egress = "ALL_TRAFFIC"', 'egress = "PRIVATE_RANGES_ONLY"'),
      'google_cloud_run_v2_service.service["proxy"].template.vpc_access.egress: is PRIVATE_RANGES_ONLY on a mesh member: set ALL_TRAFFIC',
    ],
    [
      'Terraform and the deploy disagreeing on egress',
      'infra/terraform/services.tf',
      (t) => t.replace('egress = "ALL_TRAFFIC"', 'egress = "PRIVATE_RANGES_ONLY"'),
      "deploy proxy: --vpc-egress=all-traffic differs from Terraform's egress PRIVATE_RANGES_ONLY",
    ],
    [
      'Terraform turning the invoker check off while Cloud Build still deploys with allUsers',
      'infra/terraform/variables.tf',
      (t) => t.replace('default     = "all_users"', 'default     = "invoker_iam_disabled"'),
      'Terraform sets invoker_iam_disabled, the deploy does not pass --no-invoker-iam-check',
    ],
    [
      'Cloud Build defaulting to another public-entry mode than Terraform',
      'cloudbuild.yaml',
      (t) => t.replace('_PUBLIC_ENTRY: all_users', '_PUBLIC_ENTRY: invoker_iam_disabled'),
      `substitutions._PUBLIC_ENTRY: default "invoker_iam_disabled" differs from Terraform's public_entry default "all_users"`,
    ],
    [
      'the invoker check turned off on a service that is no entry',
      'infra/terraform/services.tf',
      (t) =>
        t.replace(
          'invoker_iam_disabled = each.value.entry == "load-balancer" && var.public_entry == "invoker_iam_disabled"',
          'invoker_iam_disabled = true',
        ),
      'google_cloud_run_v2_service.service["proxy"].invoker_iam_disabled: is true: only the load-balancer entry',
    ],
    [
      'Terraform naming the network by id while the deploy passes its name',
      'infra/terraform/services.tf',
      (t) =>
        t.replace(
          'network    = google_compute_network.mesh.name',
          'network    = google_compute_network.mesh.id',
        ),
      "deploy client: --network=meshapps-vpc differs from Terraform's network ((known after apply) google_compute_network.mesh.id)",
    ],
    [
      'the load-balancer entry with ingress internal in the topology',
      'infra/topology.yaml',
      (t) => t.replace('ingress: internal-and-cloud-load-balancing', 'ingress: internal'),
      'blocks the load balancer: use internal-and-cloud-load-balancing',
    ],
  ];
  it.each(planted)('catches %s', async (_what, file, change, message) => {
    const root = tempRepo();
    edit(root, file, change);
    expect(await failures(root)).toContain(message);
  });
});
