import { fileOf, type TerraformContext } from './context.ts';
import { parseCidr } from './functions.ts';
import { block, blocks, named, str } from './refs.ts';

/**
 * How many subnet addresses Direct VPC egress can take, and whether the subnet has them.
 * Sources (docs/deploy.md, "Subnet size"):
 * - Cloud Run, "Direct VPC egress with a VPC network", IP address allocation: addresses are
 *   reserved in blocks of 16 (a /28) at a time; the subnet must be /26 or larger; in steady state
 *   Cloud Run uses 2 addresses per instance.
 * - Cloud Run networking best practices: estimate usage as instance count × 2 (earlier editions
 *   said × 4, which the revision overlap below also covers).
 * - A deploy runs the old and the new revision side by side until traffic moves, and a revision
 *   that scales down keeps its addresses for a while: budget two revisions per service.
 * - VPC: Google reserves 4 addresses in every primary IPv4 subnet range.
 */
export const ADDRESSES_PER_INSTANCE = 2;
export const BLOCK = 16;
export const REVISIONS_DURING_DEPLOY = 2;
export const RESERVED_PER_SUBNET = 4;

export interface EgressService {
  name: string;
  maxInstances: number;
}

export interface SubnetBudget {
  /** Addresses each service can take: blocks for one revision at max instances, × revisions. */
  perService: { name: string; addresses: number }[];
  needed: number;
  available: number;
  /** The largest prefix (smallest subnet) whose usable addresses cover `needed`. */
  smallestPrefix: number;
}

/** ceil(max instances × 2 / 16) × 16 per revision, × 2 revisions, summed over the services. */
export function subnetBudget(services: readonly EgressService[], cidr: string): SubnetBudget {
  const perService = services.map((s) => ({
    name: s.name,
    addresses: Math.ceil((s.maxInstances * ADDRESSES_PER_INSTANCE) / BLOCK) * BLOCK * REVISIONS_DURING_DEPLOY,
  }));
  const needed = perService.reduce((sum, s) => sum + s.addresses, 0);
  const available = parseCidr(cidr).size - RESERVED_PER_SUBNET;
  let smallestPrefix = 29;
  while (smallestPrefix > 0 && 2 ** (32 - smallestPrefix) - RESERVED_PER_SUBNET < needed) smallestPrefix--;
  return { perService, needed, available, smallestPrefix };
}

/** The budget of every subnet in the plan, from the Cloud Run services that egress into it. */
export function checkSubnetBudget(ctx: TerraformContext): void {
  const { plan, findings } = ctx;
  const runs = plan.ofType('google_cloud_run_v2_service');
  for (const subnet of plan.ofType('google_compute_subnetwork')) {
    const cidr = str(subnet.config.ip_cidr_range);
    if (!cidr) continue;
    const services = runs.flatMap((run) => {
      const template = block(run.config, 'template');
      const nic = blocks(blocks(template, 'vpc_access')[0], 'network_interfaces')[0];
      if (named(plan, nic?.subnetwork, 'google_compute_subnetwork') !== subnet) return [];
      // Unset, Cloud Run scales a service to 100 instances.
      const max = block(template ?? {}, 'scaling')?.max_instance_count;
      return [
        { name: str(run.config.name) ?? run.address, maxInstances: typeof max === 'number' ? max : 100 },
      ];
    });
    let budget: SubnetBudget;
    try {
      budget = subnetBudget(services, cidr);
    } catch {
      continue; // an unparsable range is reported by the network check
    }
    const { needed, available, perService, smallestPrefix } = budget;
    findings.expect(
      needed <= available,
      fileOf(ctx, subnet),
      `${subnet.address}.ip_cidr_range`,
      `${cidr} offers ${available} addresses (${available + RESERVED_PER_SUBNET} − ${RESERVED_PER_SUBNET} Google reserves), but Direct VPC egress can need ${needed}: ${services.length} services × ceil(max instances × ${ADDRESSES_PER_INSTANCE} / ${BLOCK}) × ${BLOCK} × ${REVISIONS_DURING_DEPLOY} revisions (${perService.map((s) => `${s.name} ${s.addresses}`).join(', ')}). Use a /${smallestPrefix} or larger (subnet_cidr), or lower max_instances`,
    );
  }
}
