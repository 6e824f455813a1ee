import { RE2JS } from 're2js';
import { describe, expect, it, vi } from 'vitest';
import {
  compiledFor,
  compileRouteRegex,
  MAX_REGEX_PROGRAM_SIZE,
  re2Problem,
  routeRegexErrors,
} from '../src/index.ts';

describe("route regexes within Envoy's RE2 program size", () => {
  it('refuses the costly regex of issue 22 (item 6) with the size, the limit and where it comes from', () => {
    expect(MAX_REGEX_PROGRAM_SIZE).toBe(100);
    expect(re2Problem('(?:a|aa|aaa|aaaa){0,500}b')).toBe(
      '"(?:a|aa|aaa|aaaa){0,500}b" compiles to an RE2 program of 5503 instructions; Envoy refuses regexes above 100 (re2.max_program_size.error_level, its default): split it into several matches or simplify it',
    );
    expect(re2Problem('/call/[a-z0-9.]+')).toBeUndefined();
  });

  it('quotes a long refused pattern shortened, not whole', () => {
    const pattern = `(${Array.from({ length: 2000 }, (_, i) => `w${i}`).join('|')})`;
    const problem = re2Problem(pattern) as string;
    expect(problem.length).toBeLessThan(400);
    expect(problem).toContain(`… (${pattern.length} characters)`);
  });

  it('checks every RE2 field of a route: path, header, query, CORS origins', () => {
    const costly = '(?:a|aa|aaa|aaaa){0,500}b';
    const errors = routeRegexErrors({
      name: 'r',
      hostnames: ['x.meshapps.internal'],
      rules: [
        {
          matches: [
            {
              regexMatch: costly,
              headers: [{ header: 'x', regexMatch: costly }],
              queryParameters: [{ queryParameter: 'q', regexMatch: costly }],
            },
          ],
          action: { corsPolicy: { allowOriginRegexes: ['https://ok\\.example', costly] } },
        },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'rules[0].matches[0].regexMatch',
      'rules[0].matches[0].headers[0].regexMatch',
      'rules[0].matches[0].queryParameters[0].regexMatch',
      'rules[0].action.corsPolicy.allowOriginRegexes[1]',
    ]);
  });

  it('compiles each checked match regex once: the request path reuses what the check compiled', () => {
    const header = { header: 'x', regexMatch: 'a+' };
    const query = { queryParameter: 'q', regexMatch: 'b+' };
    const path = { regexMatch: '/call/[a-z]+', headers: [header], queryParameters: [query] };
    const compile = vi.spyOn(RE2JS, 'compile');
    try {
      routeRegexErrors({ name: 'r', hostnames: ['x.meshapps.internal'], rules: [{ matches: [path] }] });
      expect(compile).toHaveBeenCalledTimes(3);
      expect(compiledFor(path, path.regexMatch).matches('/call/abc')).toBe(true);
      expect(compiledFor(header, header.regexMatch).matches('aaa')).toBe(true);
      expect(compiledFor(query, query.regexMatch).matches('bb')).toBe(true);
      expect(compile).toHaveBeenCalledTimes(3);
    } finally {
      compile.mockRestore();
    }
  });

  // re2js's count approximates C++ RE2's ProgramSize(), which Envoy checks (decision 067). Sizes
  // from C++ measured with Debian's libre2 (2022-06-01) and the program in the decision record.
  // A re2js upgrade that counts differently fails here, so the limit is looked at again.
  const calibration: [pattern: string, cpp: number, re2js: number][] = [
    // Reported refused by Envoy at 106 (an Envoy user's log): refused here too.
    [
      '^/user/(488/sms|h5/getJwt|captcha|version/getAIDrawTemplate|version/isMainLand|version/promotionTemplate|version/activityTemplate2).*',
      106,
      111,
    ],
    ['(?:a|aa|aaa|aaaa){0,500}b', 4005, 5503],
    ['[a-z]{1,50}', 103, 101],
    ['[a-z]{1,45}', 93, 91],
    ['x{100}', 104, 102],
    ['x{95}', 99, 97],
    ['(?:a|aa|aaa|aaaa){0,8}b', 69, 91],
    ['/call/[a-z0-9.]+', 14, 10],
    // Where the approximation lets through what Envoy refuses: a class of several ASCII ranges
    // costs C++ one instruction per range, a Unicode class its UTF-8 expansion.
    ['[a-z0-9-]{30}\\.example', 102, 40],
    ['\\pL+', 1198, 4],
  ];
  it.each(calibration)('%s: C++ %i, re2js %i', (pattern, cpp, re2js) => {
    expect(compileRouteRegex(pattern).programSize()).toBe(re2js);
    const envoyRefuses = cpp > MAX_REGEX_PROGRAM_SIZE;
    const weRefuse = re2Problem(pattern) !== undefined;
    // Never the other way round: a regex Envoy takes is never refused here (in this table, and in
    // the 140-pattern corpus of decision 067).
    if (weRefuse) expect(envoyRefuses).toBe(true);
  });
});
