import { join } from 'node:path';
import {
  type ConfigError,
  ConfigInvalidError,
  loadRoutes,
  loadTopology,
  type RouteFile,
  type Topology,
} from '@meshapps/mesh-config';
import { checkCloudBuild } from './cloudbuild/check.ts';
import { checkConsistency } from './consistency.ts';
import { checkDocumentedCommands } from './docs/commands.ts';
import { checkRenderedRoutes } from './routes/check.ts';
import { CHECK_VARIABLES, checkTerraform, planTerraform } from './terraform/index.ts';

export interface CheckReport {
  section: string;
  errors: ConfigError[];
}

/**
 * Every offline check of what goes to the cloud, in one pass over a repository checkout:
 * routes (source and rendered), Terraform (planned offline), Cloud Build configs, their
 * agreement with the topology and with each other, and the commands the docs show.
 */
export async function checkAll(root: string): Promise<CheckReport[]> {
  const reports: CheckReport[] = [];
  let topology: Topology;
  try {
    topology = loadTopology(join(root, 'infra', 'topology.yaml'));
  } catch (err) {
    if (err instanceof ConfigInvalidError) return [{ section: 'topology', errors: [...err.errors] }];
    throw err;
  }
  let routes: RouteFile[] = [];
  try {
    routes = loadRoutes(join(root, 'infra', 'routes'), topology);
    reports.push({
      section: 'routes',
      errors: checkRenderedRoutes(routes, topology, CHECK_VARIABLES.project_id),
    });
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err;
    reports.push({ section: 'routes', errors: [...err.errors] });
  }
  const plan = await planTerraform(root);
  reports.push({ section: 'terraform', errors: await checkTerraform({ root, topology, routes, plan }) });
  const { builds, errors } = checkCloudBuild(root);
  reports.push({ section: 'cloudbuild', errors });
  reports.push({
    section: 'consistency',
    errors: checkConsistency({ root, topology, routes, plan, builds }),
  });
  reports.push({ section: 'docs', errors: checkDocumentedCommands(root, topology) });
  return reports;
}
