import {
  compileRouteRegex,
  type HeaderMatch,
  type QueryParameterMatch,
  type RouteMatch,
} from '@meshapps/mesh-config';

/** What a route match looks at: the request as the sidecar sees it. */
export interface RequestFacts {
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
}

/**
 * HttpRoute match semantics (Network Services v1): entries of `matches` are OR-ed, conditions
 * inside one entry AND-ed; a rule without matches matches everything. Regexes are RE2 and match
 * the whole value, compiled by the function the route checks use (mesh-config's compileRouteRegex).
 */
export function ruleMatches(matches: readonly RouteMatch[] | undefined, req: RequestFacts): boolean {
  if (!matches || matches.length === 0) return true;
  return matches.some((m) => matchOne(m, req));
}

function matchOne(m: RouteMatch, req: RequestFacts): boolean {
  return (
    pathMatches(m, req.path) &&
    (m.headers ?? []).every((h) => headerMatches(h, req.headers)) &&
    (m.queryParameters ?? []).every((q) => queryMatches(q, req.query))
  );
}

function pathMatches(m: RouteMatch, path: string): boolean {
  const fold = (s: string) => (m.ignoreCase ? s.toLowerCase() : s);
  if (m.prefixMatch !== undefined) return fold(path).startsWith(fold(m.prefixMatch));
  if (m.fullPathMatch !== undefined) return fold(path) === fold(m.fullPathMatch);
  if (m.regexMatch !== undefined) return compileRouteRegex(m.regexMatch, m.ignoreCase).matches(path);
  return true;
}

function headerMatches(h: HeaderMatch, headers: RequestFacts['headers']): boolean {
  const raw = headers[h.header.toLowerCase()];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  let result: boolean;
  if (h.presentMatch !== undefined) result = (value !== undefined) === h.presentMatch;
  else if (value === undefined) result = false;
  else if (h.exactMatch !== undefined) result = value === h.exactMatch;
  else if (h.prefixMatch !== undefined) result = value.startsWith(h.prefixMatch);
  else if (h.suffixMatch !== undefined) result = value.endsWith(h.suffixMatch);
  else if (h.regexMatch !== undefined) result = compileRouteRegex(h.regexMatch).matches(value);
  else if (h.rangeMatch !== undefined) {
    // Range is [start, end): the value must be a whole number.
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    result = n >= h.rangeMatch.start && n < h.rangeMatch.end;
  } else result = value !== undefined;
  return h.invertMatch ? !result : result;
}

function queryMatches(q: QueryParameterMatch, query: URLSearchParams): boolean {
  const value = query.get(q.queryParameter);
  if (q.presentMatch !== undefined) return (value !== null) === q.presentMatch;
  if (value === null) return false;
  if (q.exactMatch !== undefined) return value === q.exactMatch;
  if (q.regexMatch !== undefined) return compileRouteRegex(q.regexMatch).matches(value);
  return true;
}
