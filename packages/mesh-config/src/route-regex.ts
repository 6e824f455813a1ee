import { RE2JS } from 're2js';
import type { HttpRoute } from './http-route.ts';

/**
 * HttpRoute `regexMatch` (paths, headers, query parameters) is RE2 syntax in Google's API and in
 * the Envoy that runs the routes. JavaScript's engine accepts more (lookarounds,
 * backreferences) and less (`(?P<name>…)`, `(?i)` at the start, `\pL`), and can backtrack for
 * seconds on a hostile header. So every route regex is compiled and matched with re2js, a pure-JS
 * port of RE2: what the checks accept and how the local mesh matches are what the cloud does.
 */
export type RouteRegex = { matches(value: string): boolean };

const compiled = new Map<string, RouteRegex>();

/**
 * The route regex as RE2 compiles it, matching the whole value (Envoy's safe_regex is a full
 * match). Throws RE2's syntax error for a pattern RE2 refuses.
 */
export function compileRouteRegex(source: string, ignoreCase = false): RouteRegex {
  const key = `${ignoreCase ? 'i' : '-'}${source}`;
  let re = compiled.get(key);
  if (!re) {
    re = RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    compiled.set(key, re);
  }
  return re;
}

/** Why RE2 refuses `source`, or undefined if it compiles. */
export function re2Problem(source: string): string | undefined {
  try {
    compileRouteRegex(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every `regexMatch` of a route that RE2 cannot compile, with its field path and RE2's reason. */
export function routeRegexErrors(route: HttpRoute): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const check = (source: string | undefined, path: string) => {
    const problem = source === undefined ? undefined : re2Problem(source);
    if (problem) {
      errors.push({
        path,
        message: `${JSON.stringify(source)} is not RE2, the regex syntax of HttpRoute (Google's API and Envoy): ${problem}`,
      });
    }
  };
  route.rules.forEach((rule, r) => {
    rule.matches?.forEach((m, i) => {
      const at = `rules[${r}].matches[${i}]`;
      check(m.regexMatch, `${at}.regexMatch`);
      m.headers?.forEach((h, j) => {
        check(h.regexMatch, `${at}.headers[${j}].regexMatch`);
      });
      m.queryParameters?.forEach((q, j) => {
        check(q.regexMatch, `${at}.queryParameters[${j}].regexMatch`);
      });
    });
  });
  return errors;
}
