import { relative } from 'node:path';
import type { ConfigError, RouteFile } from '@meshapps/mesh-config';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { resilienceProblems } from './resilience.ts';

/**
 * HttpRoute fields the local mesh does not emulate. Starting anyway would route differently
 * from the cloud without saying so, so each one stops `pnpm start` with the reason (decision 005).
 * timeout, retryPolicy and faultInjectionPolicy are emulated with Envoy's semantics and labelled
 * unverified at start instead (decision 006).
 */
const ACTION_FIELDS: Record<string, string> = {
  idleTimeout:
    'not shown to be honoured by the managed sidecar on Cloud Run, so the local mesh does not pretend to',
  urlRewrite: 'URL rewriting is not emulated locally (hostRewrite to Cloud Run is itself unverified)',
  redirect: 'redirects are not emulated locally',
  requestMirrorPolicy: 'mirroring is not supported for Cloud Run destinations',
  corsPolicy: 'CORS is a browser concern; service-to-service calls in this demo never need it',
  statefulSessionAffinity: 'session affinity is not emulated locally',
  directResponse: 'direct responses are not emulated locally',
};
const ROUTE_FIELDS: Record<string, string> = {
  gateways: 'Cloud Run services join meshes, not gateways',
};

export function unsupportedFields(routes: readonly RouteFile[]): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const { file, route } of routes) {
    const shown = relative(REPO_ROOT, file) || file;
    for (const [field, reason] of Object.entries(ROUTE_FIELDS)) {
      if (field in route)
        errors.push({ file: shown, path: field, message: `unsupported by the local mesh: ${reason}` });
    }
    route.rules.forEach((rule, r) => {
      if (rule.action) {
        errors.push(
          ...resilienceProblems(rule.action, `rules[${r}].action`).map((e) => ({ file: shown, ...e })),
        );
      }
      for (const field of Object.keys(rule.action ?? {})) {
        const reason = ACTION_FIELDS[field];
        if (reason) {
          errors.push({
            file: shown,
            path: `rules[${r}].action.${field}`,
            message: `unsupported by the local mesh: ${reason}`,
          });
        }
      }
    });
  }
  return errors;
}
