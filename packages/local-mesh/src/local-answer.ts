import type { RouteMatch, RouteRule } from '@meshapps/mesh-config';
import type { RequestFacts } from './route-match.ts';

/** What the sidecar answers itself, without forwarding: status, headers, body, and the log's flags. */
export interface LocalAnswer {
  status: number;
  /** The answer's own object: the rule's responseHeaderModifier edits it in place. */
  headers: Record<string, string | string[]>;
  body: string | Buffer;
  /** The route that answered (absent for "no route"). */
  route?: string;
  /** Envoy's response flags for the mesh log line (`FI`, `NC`). */
  flags?: string;
}

const REDIRECT_STATUS: Record<string, number> = {
  RESPONSE_CODE_UNSPECIFIED: 301,
  MOVED_PERMANENTLY_DEFAULT: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

/**
 * A rule that answers without a destination, with Envoy's semantics (decision 065): a
 * `directResponse` answers its status and body; a `redirect` answers 301 (or its responseCode)
 * with the Location it builds; a fault abort on a rule without destinations answers its status
 * on its percentage. Undefined when the rule forwards.
 */
export function localAnswer(
  rule: RouteRule,
  route: string,
  request: { host: string; req: RequestFacts; matched: RouteMatch | 'all' },
  random: () => number,
): LocalAnswer | undefined {
  const action = rule.action;
  if (!action) return undefined;
  const direct = action.directResponse;
  if (direct) {
    const body =
      direct.bytesBody !== undefined ? Buffer.from(direct.bytesBody, 'base64') : (direct.stringBody ?? '');
    return { status: direct.status, headers: body.length > 0 ? text() : {}, body, route };
  }
  if (action.redirect) {
    const r = action.redirect;
    const location = redirectLocation(r, request);
    return {
      status: REDIRECT_STATUS[r.responseCode ?? 'MOVED_PERMANENTLY_DEFAULT'] ?? 301,
      headers: { location },
      body: '',
      route,
    };
  }
  const abort = action.faultInjectionPolicy?.abort;
  if (!action.destinations && abort?.httpStatus !== undefined && random() * 100 < (abort.percentage ?? 0)) {
    return { status: abort.httpStatus, headers: text(), body: 'fault filter abort', route, flags: 'FI' };
  }
  return undefined;
}

const text = () => ({ 'content-type': 'text/plain' });

type Redirect = NonNullable<NonNullable<RouteRule['action']>['redirect']>;

/** Envoy's RedirectAction: scheme, host, port, path (or the matched prefix swapped), query. */
function redirectLocation(
  r: Redirect,
  request: { host: string; req: RequestFacts; matched: RouteMatch | 'all' },
): string {
  const scheme = r.httpsRedirect ? 'https' : 'http';
  const host = r.hostRedirect ?? request.host;
  const port = r.portRedirect !== undefined ? `:${r.portRedirect}` : '';
  const path = redirectPath(r, request.req.path, request.matched);
  const query = r.stripQuery ? '' : request.req.query;
  return `${scheme}://${host}${port}${path}${query ? `?${query}` : ''}`;
}

function redirectPath(r: Redirect, path: string, matched: RouteMatch | 'all'): string {
  if (r.pathRedirect !== undefined) return r.pathRedirect;
  if (r.prefixRewrite === undefined || matched === 'all') return path;
  if (matched.prefixMatch !== undefined) return r.prefixRewrite + path.slice(matched.prefixMatch.length);
  if (matched.fullPathMatch !== undefined) return r.prefixRewrite;
  return path;
}
