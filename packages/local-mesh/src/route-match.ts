import {
  compiledFor,
  type HeaderMatch,
  type QueryParameterMatch,
  type RouteMatch,
} from '@meshapps/mesh-config';

/** What a route match looks at: the request as the sidecar sees it. */
export interface RequestFacts {
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * The query exactly as sent: what follows the first `?`, without it (`''` when none). A redirect
   * keeps it byte for byte, as Envoy does; it is parsed only for a queryParameters match.
   */
  query: string;
}

/**
 * HttpRoute match semantics (Network Services v1): entries of `matches` are OR-ed, conditions
 * inside one entry AND-ed; a rule without matches matches everything. Regexes are RE2 and match
 * the whole value, compiled once per route generation by the function the route checks use
 * (mesh-config's compiledFor). Header values are at most 16 KiB (Node's header limit, which every
 * mesh listener keeps; Envoy's default is 60 KiB), so with Envoy's program-size cap a match costs
 * at most ~100 × 16 Ki steps.
 */
export function ruleMatches(matches: readonly RouteMatch[] | undefined, req: RequestFacts): boolean {
  return matchingEntry(matches, req) !== undefined;
}

/** The entry of `matches` that matches (a redirect's prefixRewrite needs it), 'all', or undefined. */
export function matchingEntry(
  matches: readonly RouteMatch[] | undefined,
  req: RequestFacts,
): RouteMatch | 'all' | undefined {
  if (!matches || matches.length === 0) return 'all';
  let parsed: URLSearchParams | undefined;
  const params = () => {
    parsed ??= new URLSearchParams(req.query);
    return parsed;
  };
  return matches.find((m) => matchOne(m, req, params));
}

function matchOne(m: RouteMatch, req: RequestFacts, params: () => URLSearchParams): boolean {
  return (
    pathMatches(m, req.path) &&
    (m.headers ?? []).every((h) => headerMatches(h, req.headers)) &&
    (m.queryParameters ?? []).every((q) => queryMatches(q, params()))
  );
}

function pathMatches(m: RouteMatch, path: string): boolean {
  const fold = (s: string) => (m.ignoreCase ? s.toLowerCase() : s);
  if (m.prefixMatch !== undefined) return fold(path).startsWith(fold(m.prefixMatch));
  if (m.fullPathMatch !== undefined) return fold(path) === fold(m.fullPathMatch);
  // ignoreCase is for prefix and full-path matches only (HttpRoute reference; Envoy ignores
  // case_sensitive for safe_regex): a regex says `(?i)` itself.
  if (m.regexMatch !== undefined) return compiledFor(m, m.regexMatch).matches(path);
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
  else if (h.regexMatch !== undefined) result = compiledFor(h, h.regexMatch).matches(value);
  else if (h.rangeMatch !== undefined) {
    // Range is [start, end): the value must be a whole number.
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    result = n >= (h.rangeMatch.start ?? 0) && n < (h.rangeMatch.end ?? 0);
  } else result = value !== undefined;
  return h.invertMatch ? !result : result;
}

function queryMatches(q: QueryParameterMatch, query: URLSearchParams): boolean {
  const value = query.get(q.queryParameter);
  if (q.presentMatch !== undefined) return (value !== null) === q.presentMatch;
  if (value === null) return false;
  if (q.exactMatch !== undefined) return value === q.exactMatch;
  if (q.regexMatch !== undefined) return compiledFor(q, q.regexMatch).matches(value);
  return true;
}
