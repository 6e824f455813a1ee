import { relative } from 'node:path';
import type { ConfigError, RouteFile, RouteMatch } from '@meshapps/mesh-config';
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
      errors.push(
        ...regexProblems(rule.matches ?? [], `rules[${r}].matches`).map((e) => ({ file: shown, ...e })),
      );
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

/**
 * Route regexes are RE2 in the cloud; the local mesh runs them as JavaScript regexes. The common
 * subset is the same, but a pattern JavaScript cannot compile (e.g. RE2's `(?P<name>…)`) would only
 * fail at the first request: refuse it at start instead.
 */
function regexProblems(matches: readonly RouteMatch[], at: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const check = (pattern: string | undefined, path: string) => {
    if (pattern === undefined) return;
    try {
      new RegExp(pattern);
    } catch (err) {
      problems.push({
        path,
        message: `unsupported by the local mesh: the regex does not compile as JavaScript (${(err as Error).message}); use the RE2 subset JavaScript shares`,
      });
    }
  };
  matches.forEach((m, i) => {
    check(m.regexMatch, `${at}[${i}].regexMatch`);
    m.headers?.forEach((h, j) => {
      check(h.regexMatch, `${at}[${i}].headers[${j}].regexMatch`);
    });
    m.queryParameters?.forEach((q, j) => {
      check(q.regexMatch, `${at}[${i}].queryParameters[${j}].regexMatch`);
    });
  });
  return problems;
}
