import { RE2JS } from 're2js';
import { clip } from './errors.ts';
import type { HttpRoute } from './http-route.ts';

/**
 * HttpRoute `regexMatch` (paths, headers, query parameters) and CORS `allowOriginRegexes` are RE2
 * syntax in Google's API and in the Envoy that runs the routes. JavaScript's engine accepts more
 * (lookarounds, backreferences) and less (`(?P<name>…)`, `(?i)` at the start, `\pL`), and can
 * backtrack for seconds on a hostile header. So every route regex is compiled and matched with
 * re2js, a pure-JS port of RE2: what the checks accept and how the local mesh matches are what
 * the cloud does.
 */
export type RouteRegex = { matches(value: string): boolean };

/**
 * Envoy refuses a regex whose compiled RE2 program is larger than this: the runtime key
 * `re2.max_program_size.error_level` defaults to 100 (Envoy's RegexMatcher.GoogleRE2 docs; Traffic
 * Director's API repeats it). The size is re2js's `programSize()` (its instruction count), an
 * approximation of C++ RE2's `ProgramSize()` that Envoy reads (decision 067).
 */
export const MAX_REGEX_PROGRAM_SIZE = 100;

/**
 * The route regex as RE2 compiles it, matching the whole value (Envoy's safe_regex is a full
 * match). Throws RE2's syntax error for a pattern RE2 refuses. Not cached: callers that match
 * per request keep the compiled regex with the routes it belongs to (`compiledFor`).
 */
export function compileRouteRegex(
  source: string,
  ignoreCase = false,
): RouteRegex & { programSize(): number } {
  return RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
}

/**
 * The compiled regex of a route's match, kept as long as that match object is: a generation of
 * routes holds its own regexes, and a live edit that replaces the routes lets them go. (A cache
 * keyed by the pattern alone grew by every distinct regex ever applied: +22 MiB per 1,000.)
 * `routeRegexErrors` fills it as it checks, so a checked route is not compiled again here.
 */
const byOwner = new WeakMap<object, RouteRegex>();
export function compiledFor(owner: object, source: string): RouteRegex {
  let re = byOwner.get(owner);
  if (!re) {
    re = compileRouteRegex(source);
    byOwner.set(owner, re);
  }
  return re;
}

/** A refused pattern is quoted, not dumped: a 100 KB regex makes a 200-character quote. */
const QUOTED_MAX = 200;

/**
 * Why RE2 or Envoy refuses `source`, or undefined if both take it. Given the match object that
 * owns the pattern, an accepted regex is kept for it (`compiledFor`): the check at start or edit
 * time is the one compilation, not a second one on the first request.
 */
export function re2Problem(source: string, owner?: object): string | undefined {
  let size: number;
  let re: ReturnType<typeof compileRouteRegex>;
  try {
    re = compileRouteRegex(source);
    size = re.programSize();
  } catch (err) {
    return `${JSON.stringify(clip(source, QUOTED_MAX))} is not RE2, the regex syntax of HttpRoute (Google's API and Envoy): ${(err as Error).message}`;
  }
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return `${JSON.stringify(clip(source, QUOTED_MAX))} compiles to an RE2 program of ${size} instructions; Envoy refuses regexes above ${MAX_REGEX_PROGRAM_SIZE} (re2.max_program_size.error_level, its default): split it into several matches or simplify it`;
  }
  if (owner) byOwner.set(owner, re);
  return undefined;
}

/** Every RE2 field of a route that RE2 cannot compile or Envoy would refuse, with its path. */
export function routeRegexErrors(route: HttpRoute): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  // CORS origins have no owner: the local mesh does not match them per request.
  const check = (source: string | undefined, path: string, owner?: object) => {
    const problem = source === undefined ? undefined : re2Problem(source, owner);
    if (problem) errors.push({ path, message: problem });
  };
  route.rules.forEach((rule, r) => {
    rule.matches?.forEach((m, i) => {
      const at = `rules[${r}].matches[${i}]`;
      check(m.regexMatch, `${at}.regexMatch`, m);
      m.headers?.forEach((h, j) => {
        check(h.regexMatch, `${at}.headers[${j}].regexMatch`, h);
      });
      m.queryParameters?.forEach((q, j) => {
        check(q.regexMatch, `${at}.queryParameters[${j}].regexMatch`, q);
      });
    });
    rule.action?.corsPolicy?.allowOriginRegexes?.forEach((source, i) => {
      check(source, `rules[${r}].action.corsPolicy.allowOriginRegexes[${i}]`);
    });
  });
  return errors;
}
