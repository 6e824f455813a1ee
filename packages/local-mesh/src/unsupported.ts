import type { RouteFile, RouteRule } from '@meshapps/mesh-config';
import { shownPath } from '@meshapps/mesh-config';
import { resilienceProblems } from './resilience.ts';

/**
 * The second layer of the route checks: what the local mesh does differently from the cloud.
 * It never refuses a route — whatever the networkservices API takes reaches the cloud (decision
 * 065) — but says, for each field it does not emulate, what happens on this machine instead, and
 * labels what it emulates without proof that Cloud Run's managed data plane does the same.
 * timeout, retryPolicy and faultInjectionPolicy on a forwarding rule are labelled by
 * resilienceNotices (decision 006).
 */
const NOT_EMULATED: Record<string, string> = {
  idleTimeout:
    "not emulated: idle connections are cut by the local listeners' own timeouts, not by this value (and whether the managed sidecar honours it on Cloud Run is unverified)",
  urlRewrite: 'not emulated: the destination gets the path and Host unchanged here',
  requestMirrorPolicy:
    'not emulated: nothing is mirrored here (and the API reference says mirroring is not supported for Cloud Run destinations)',
  corsPolicy: 'not emulated: no CORS headers are added and preflights go to the destination here',
  statefulSessionAffinity:
    'not emulated: each request picks its destination by weight here, and no session cookie is set',
};
const UNVERIFIED = "Envoy semantics; not confirmed on Cloud Run's managed data plane";

/** Every difference of the local mesh for these routes, one labelled line each. */
export function localNotices(routes: readonly RouteFile[]): string[] {
  const lines: string[] = [];
  for (const { file, route } of routes) {
    const shown = shownPath(file);
    const say = (path: string, what: string) => lines.push(`local mesh: ${shown}: ${path}: ${what}`);
    route.rules.forEach((rule, r) => {
      const at = `rules[${r}].action`;
      for (const field of Object.keys(rule.action ?? {})) {
        const what = NOT_EMULATED[field];
        if (what) say(`${at}.${field}`, what);
      }
      const answer = answersItself(rule);
      if (answer) say(`${at}.${answer.path}`, answer.what);
      if (rule.action) {
        for (const p of resilienceProblems(rule.action, at))
          say(p.path, `${p.message} (here and on Cloud Run)`);
      }
    });
  }
  return lines;
}

/** What a rule without destinations does here (and the emulated answers, labelled). */
function answersItself(rule: RouteRule): { path: string; what: string } | undefined {
  const action = rule.action;
  if (action?.directResponse) {
    return {
      path: 'directResponse',
      what: `emulated: answers ${action.directResponse.status} with its body, destinations unused (${UNVERIFIED})`,
    };
  }
  if (action?.redirect) {
    return {
      path: 'redirect',
      what: `emulated: answers a redirect with the Location it builds (${UNVERIFIED})`,
    };
  }
  if (action?.destinations) return undefined;
  const abort = action?.faultInjectionPolicy?.abort;
  if (abort?.httpStatus !== undefined) {
    const delay = action?.faultInjectionPolicy?.delay
      ? '; its delay is not emulated without destinations'
      : '';
    return {
      path: 'faultInjectionPolicy',
      what: `emulated without destinations: ${abort.percentage ?? 0} % answer ${abort.httpStatus} (FI), the rest 503 (no destination, NC)${delay} (${UNVERIFIED})`,
    };
  }
  return {
    path: 'destinations',
    what: 'none, and no directResponse, redirect or fault abort: this rule answers 503 here (no destination, NC)',
  };
}
