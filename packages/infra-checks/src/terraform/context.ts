import { join } from 'node:path';
import { backendServiceName, type RouteFile, type Topology } from '@meshapps/mesh-config';
import type { Findings } from '../errors.ts';
import type { Instance, Plan } from './plan.ts';

/** What every Terraform rule gets: the offline plan, the topology and routes it must agree with. */
export interface TerraformContext {
  dir: string;
  plan: Plan;
  topology: Topology;
  routes: RouteFile[];
  findings: Findings;
  /** Values the plan was evaluated with (variables without defaults, participants…). */
  variables: Record<string, unknown>;
}

export function fileOf(ctx: TerraformContext, instance: Instance): string {
  return join(ctx.dir, instance.resource.file);
}

/** Backend services the routes name: the mesh destinations. */
export function meshDestinations(routes: readonly RouteFile[]): Set<string> {
  const names = new Set<string>();
  for (const { route } of routes) {
    for (const rule of route.rules) {
      for (const d of rule.action?.destinations ?? []) {
        const name = backendServiceName(d.serviceName);
        if (name) names.add(name);
      }
    }
  }
  return names;
}

export const INGRESS_ENUM: Record<string, string> = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-cloud-load-balancing': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
};

export const TELEMETRY_ROLES = [
  'roles/cloudtrace.agent',
  'roles/telemetry.tracesWriter',
  'roles/logging.logWriter',
  'roles/monitoring.metricWriter',
];
