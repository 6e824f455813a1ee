import { join } from 'node:path';
import type { ConfigError, RouteFile, Topology } from '@meshapps/mesh-config';
import { Findings } from '../errors.ts';
import { checkNetwork } from './check-network.ts';
import { checkServices } from './check-services.ts';
import { checkStatic } from './check-static.ts';
import { checkLanguageVersion } from './language-versions.ts';
import { loadModule } from './module.ts';
import { Plan } from './plan.ts';
import { checkSubnetBudget } from './subnet-budget.ts';

export { findTerraform, type TerraformBinary } from './binary.ts';
export { terraformFmtCheck } from './fmt.ts';
export { CLOUD_SHELL_TERRAFORM, LANGUAGE_FEATURES } from './language-versions.ts';
export { loadModule } from './module.ts';
export { Plan } from './plan.ts';
export { type SubnetBudget, subnetBudget } from './subnet-budget.ts';

/** Values for variables without defaults, and participants so their bindings are planned too. */
export const CHECK_VARIABLES = {
  project_id: 'offline-check-project',
  participants: ['user:participant@example.com'],
};

export interface TerraformCheckOptions {
  root: string;
  topology: Topology;
  routes: RouteFile[];
  /** A plan made by planTerraform (else one is made with CHECK_VARIABLES). */
  plan?: Plan;
}

/** The offline plan of infra/terraform under `root`. */
export async function planTerraform(root: string, variables: Record<string, unknown> = {}): Promise<Plan> {
  const plan = new Plan(await loadModule(join(root, 'infra', 'terraform')), {
    ...CHECK_VARIABLES,
    ...variables,
  });
  plan.instances();
  return plan;
}

/**
 * Plans infra/terraform offline and cross-checks the plan against the topology and routes.
 * Returns findings; empty means Terraform creates exactly what the topology describes.
 */
export async function checkTerraform(opts: TerraformCheckOptions): Promise<ConfigError[]> {
  const dir = join(opts.root, 'infra', 'terraform');
  const plan = opts.plan ?? (await planTerraform(opts.root));
  const findings = new Findings(opts.root);
  const variables = plan.evaluator.variables;
  const ctx = { dir, plan, topology: opts.topology, routes: opts.routes, findings, variables };
  checkServices(ctx);
  checkNetwork(ctx);
  checkStatic(ctx);
  checkLanguageVersion(ctx);
  checkSubnetBudget(ctx);
  for (const e of plan.errors) findings.add(dir, e.address, `does not evaluate: ${e.message}`);
  return findings.errors;
}
