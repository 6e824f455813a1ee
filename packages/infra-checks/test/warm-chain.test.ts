import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployCommands } from '@meshapps/deploy';
import { loadTopology, REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { terraformOwnedFlags } from '../src/consistency.ts';
import { planTerraform } from '../src/terraform/index.ts';
import { block } from '../src/terraform/refs.ts';

/**
 * The workshop's chain is warm (decision 063): every service keeps one instance, as the talk
 * deployed with --min-instances 1, so the first curl after an idle hour meets no cold start. The
 * way back to zero is the one command docs/deploy.md shows, and no deploy undoes it.
 */
async function minInstances(variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const plan = await planTerraform(REPO_ROOT, variables);
  return Object.fromEntries(
    plan.ofType('google_cloud_run_v2_service').map((r) => {
      const scaling = block(block(r.config, 'template') ?? {}, 'scaling');
      return [String(r.config.name), scaling?.min_instance_count];
    }),
  );
}

/** The scale-back command, from the fenced blocks of docs/deploy.md (its one copy). */
function scaleBackCommands(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
  const fences = [...text.matchAll(/^```(?:sh|console)\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '');
  return fences.flatMap((f) => f.split('\n')).filter((l) => l.includes('-var=min_instances='));
}

describe('a warm chain for the workshop', () => {
  it('keeps one instance of every topology service by default', async () => {
    const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));
    const byService = await minInstances();
    expect(Object.keys(byService).sort()).toEqual(topology.services.map((s) => s.name).sort());
    for (const [name, min] of Object.entries(byService)) expect(min, name).toBe(1);
    // What participants copy into terraform.tfvars keeps the chain warm too.
    const example = readFileSync(join(REPO_ROOT, 'infra/terraform/terraform.tfvars.example'), 'utf8');
    expect(/^min_instances\s*=\s*(\d+)/m.exec(example)?.[1]).toBe('1');
  });

  it("scales every service back to zero with docs/deploy.md's command, which has no placeholder", async () => {
    const commands = scaleBackCommands();
    expect(commands).toEqual(['terraform -chdir=infra/terraform apply -var=min_instances=0']);
    const value = Number(/-var=min_instances=(\d+)/.exec(commands[0] ?? '')?.[1]);
    for (const [name, min] of Object.entries(await minInstances({ min_instances: value })))
      expect(min, name).toBe(0);
  });

  it('deploys with no flag Terraform owns, so a deploy never undoes the scale back', () => {
    const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));
    const target = {
      project: 'p',
      region: 'asia-northeast1',
      repository: 'meshapps',
      tag: 'TAG',
      network: 'meshapps-vpc',
      subnet: 'meshapps-subnet',
      publicEntry: 'all_users' as const,
    };
    for (const argv of deployCommands(topology, target)) expect(terraformOwnedFlags(argv)).toEqual([]);
    // Planted: the talk's own flag on a generated command is caught.
    const planted = [...(deployCommands(topology, target)[0] ?? []), '--min-instances=1'];
    expect(terraformOwnedFlags(planted)).toEqual(['--min-instances']);
  });
});
