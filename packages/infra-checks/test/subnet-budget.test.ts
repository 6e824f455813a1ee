import { describe, expect, it } from 'vitest';
import { checkAll } from '../src/check-all.ts';
import { planTerraform } from '../src/terraform/index.ts';
import { subnetBudget } from '../src/terraform/subnet-budget.ts';
import { addTopologyService, edit, messages, tempRepo } from './helpers.ts';

const MESH_MEMBERS = ['client', 'proxy', 'target1', 'target2', 'target3', 'target', 'target-green'];
const at = (max: number) => MESH_MEMBERS.map((name) => ({ name, maxInstances: max }));

describe('the Direct VPC egress subnet budget', () => {
  it('ceil(max × 2 / 16) × 16 × 2 revisions per service, against 2^(32 − prefix) − 4', () => {
    // 7 mesh members at max 3: 6 addresses → one block of 16 → 32 with two revisions.
    expect(subnetBudget(at(3), '10.8.0.0/26')).toMatchObject({
      needed: 224,
      available: 60,
      smallestPrefix: 24,
    });
    expect(subnetBudget(at(3), '10.8.0.0/24')).toMatchObject({ needed: 224, available: 252 });
    expect(subnetBudget(at(3), '10.8.0.0/20').available).toBe(4092);
    // The /20 holds max_instances up to 144 (18 blocks per revision), not 145.
    expect(subnetBudget(at(144), '10.8.0.0/20').needed).toBe(4032);
    expect(subnetBudget(at(145), '10.8.0.0/20').needed).toBe(4256);
  });

  it('the plan of the repository: the mesh members egress into the default /20 and fit', async () => {
    const plan = await planTerraform(tempRepo());
    expect(plan.ofType('google_compute_subnetwork')[0]?.config.ip_cidr_range).toBe('10.8.0.0/20');
  });

  /**
   * The planted mistake: one more mesh service, with max instances 10. It needs
   * ceil(10 × 2 / 16) × 16 × 2 = 64 more addresses: 288 in all. The default /20 (4092) holds it;
   * a /24 (252) does not, and the check says so with the numbers.
   */
  async function withTarget4(cidr?: string): Promise<string> {
    const root = tempRepo();
    addTopologyService(root);
    edit(root, 'infra/terraform/services.tf', (t) =>
      t.replace(
        'max_instance_count = var.max_instances',
        'max_instance_count = each.key == "target4" ? 10 : var.max_instances',
      ),
    );
    if (cidr) edit(root, 'infra/terraform/variables.tf', (t) => t.replace('"10.8.0.0/20"', `"${cidr}"`));
    const terraform = (await checkAll(root)).find((r) => r.section === 'terraform');
    return messages(terraform?.errors ?? []);
  }

  it('one more service with max instances 10 passes the default /20, as the formula says', async () => {
    expect(subnetBudget([...at(3), { name: 'target4', maxInstances: 10 }], '10.8.0.0/20')).toMatchObject({
      needed: 288,
      available: 4092,
    });
    expect(await withTarget4()).toBe('');
  });

  it('and fails a /24 with the computed numbers', async () => {
    expect(await withTarget4('10.8.0.0/24')).toContain(
      'google_compute_subnetwork.mesh.ip_cidr_range: 10.8.0.0/24 offers 252 addresses (256 − 4 Google reserves), but Direct VPC egress can need 288: 8 services × ceil(max instances × 2 / 16) × 16 × 2 revisions (client 32, proxy 32, target 32, target-green 32, target1 32, target2 32, target3 32, target4 64). Use a /23 or larger',
    );
  });
});
