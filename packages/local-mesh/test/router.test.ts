import type { HttpRoute, RouteFile } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import type { RequestFacts } from '../src/route-match.ts';
import { applyHeaderModifiers, Router } from '../src/router.ts';

const bs = (name: string) => `projects/\${PROJECT_ID}/locations/global/backendServices/${name}`;
const file = (route: Partial<HttpRoute> & Pick<HttpRoute, 'rules'>): RouteFile => ({
  file: 'x.yaml',
  text: '',
  route: { name: 'route-x', hostnames: ['x.meshapps.internal'], ...route },
});
const req = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  path: '/',
  headers: {},
  query: '',
  ...over,
});
const serviceFor = (router: Router, facts: RequestFacts, host = 'x.meshapps.internal') => {
  const r = router.resolve(host, facts);
  return r.ok ? r.decision.service : `${r.status}`;
};

describe('Router: hostname → first matching rule → weighted destination', () => {
  it('unknown host → 404 naming it', () => {
    const r = new Router([]).resolve('nosuch.meshapps.internal:80', req());
    expect(r).toEqual({
      ok: false,
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'no route for host "nosuch.meshapps.internal" in the mesh\n',
    });
  });

  it('rules are tried in order; a rule without matches matches all', () => {
    const router = new Router([
      file({
        rules: [
          { matches: [{ prefixMatch: '/call' }], action: { destinations: [{ serviceName: bs('a') }] } },
          { action: { destinations: [{ serviceName: bs('b') }] } },
        ],
      }),
    ]);
    expect(serviceFor(router, req({ path: '/call/y' }))).toBe('a');
    expect(serviceFor(router, req({ path: '/' }))).toBe('b');
  });

  it('weights: share = weight / sum (deterministic random)', () => {
    const dests = [
      { serviceName: bs('green'), weight: 1 },
      { serviceName: bs('blue'), weight: 99 },
    ];
    let x = 0;
    const router = new Router([file({ rules: [{ action: { destinations: dests } }] })], () => x);
    const seen = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      x = i / 1000;
      const s = serviceFor(router, req());
      seen.set(s, (seen.get(s) ?? 0) + 1);
    }
    expect(Object.fromEntries(seen)).toEqual({ green: 10, blue: 990 });
  });

  it('no weights means equal shares; weight 0 is never chosen', () => {
    let x = 0;
    const even = new Router(
      [file({ rules: [{ action: { destinations: [{ serviceName: bs('a') }, { serviceName: bs('b') }] } }] })],
      () => x,
    );
    x = 0.49;
    expect(serviceFor(even, req())).toBe('a');
    x = 0.5;
    expect(serviceFor(even, req())).toBe('b');
    const zero = new Router(
      [
        file({
          rules: [
            {
              action: {
                destinations: [
                  { serviceName: bs('a'), weight: 0 },
                  { serviceName: bs('b'), weight: 5 },
                ],
              },
            },
          ],
        }),
      ],
      () => 0,
    );
    expect(serviceFor(zero, req())).toBe('b');
  });

  it('wildcard hostnames match subdomains; exact names win', () => {
    const router = new Router([
      file({
        hostnames: ['*.meshapps.internal'],
        rules: [{ action: { destinations: [{ serviceName: bs('any') }] } }],
      }),
      file({
        hostnames: ['x.meshapps.internal'],
        rules: [{ action: { destinations: [{ serviceName: bs('x') }] } }],
      }),
    ]);
    expect(serviceFor(router, req(), 'x.meshapps.internal')).toBe('x');
    expect(serviceFor(router, req(), 'y.meshapps.internal')).toBe('any');
  });
});

describe('matches', () => {
  const one = (match: object) =>
    new Router([
      file({
        rules: [
          { matches: [match], action: { destinations: [{ serviceName: bs('hit') }] } },
          { action: { destinations: [{ serviceName: bs('miss') }] } },
        ],
      }),
    ]);
  const cases: [string, object, RequestFacts, 'hit' | 'miss'][] = [
    [
      'header exact',
      { headers: [{ header: 'X-Variant', exactMatch: 'green' }] },
      req({ headers: { 'x-variant': 'green' } }),
      'hit',
    ],
    [
      'header exact, other value',
      { headers: [{ header: 'x-variant', exactMatch: 'green' }] },
      req({ headers: { 'x-variant': 'blue' } }),
      'miss',
    ],
    ['header absent', { headers: [{ header: 'x-variant', exactMatch: 'green' }] }, req(), 'miss'],
    [
      'header prefix',
      { headers: [{ header: 'x-user', prefixMatch: 'beta-' }] },
      req({ headers: { 'x-user': 'beta-7' } }),
      'hit',
    ],
    [
      'header suffix',
      { headers: [{ header: 'x-user', suffixMatch: '@google.com' }] },
      req({ headers: { 'x-user': 'a@google.com' } }),
      'hit',
    ],
    [
      'header regex is a full match',
      { headers: [{ header: 'x-v', regexMatch: 'v[0-9]' }] },
      req({ headers: { 'x-v': 'v10' } }),
      'miss',
    ],
    [
      'header present',
      { headers: [{ header: 'x-debug', presentMatch: true }] },
      req({ headers: { 'x-debug': '' } }),
      'hit',
    ],
    ['header present false', { headers: [{ header: 'x-debug', presentMatch: false }] }, req(), 'hit'],
    [
      'header range [start, end)',
      { headers: [{ header: 'x-n', rangeMatch: { start: 1, end: 10 } }] },
      req({ headers: { 'x-n': '10' } }),
      'miss',
    ],
    [
      'header range inside',
      { headers: [{ header: 'x-n', rangeMatch: { start: 1, end: 10 } }] },
      req({ headers: { 'x-n': '9' } }),
      'hit',
    ],
    [
      'header invert',
      { headers: [{ header: 'x-variant', exactMatch: 'green', invertMatch: true }] },
      req(),
      'hit',
    ],
    [
      'conditions in one match are AND-ed',
      { prefixMatch: '/a', headers: [{ header: 'x', exactMatch: '1' }] },
      req({ path: '/a' }),
      'miss',
    ],
    ['full path', { fullPathMatch: '/call' }, req({ path: '/call/x' }), 'miss'],
    [
      'regex path',
      { regexMatch: '/call/[a-z0-9.]+' },
      req({ path: '/call/target1.meshapps.internal' }),
      'hit',
    ],
    [
      'RE2 inline flag in a header regex',
      { headers: [{ header: 'x-v', regexMatch: '(?i)green' }] },
      req({ headers: { 'x-v': 'GREEN' } }),
      'hit',
    ],
    [
      'RE2 named group and Unicode class',
      { regexMatch: '/call/(?P<host>\\pL+)' },
      req({ path: '/call/ターゲット' }),
      'hit',
    ],
    [
      // ignoreCase is for prefix and full-path matches (HttpRoute reference; Envoy ignores it for
      // safe_regex): a regex that should fold case says (?i).
      'ignoreCase does not fold a regex path',
      { regexMatch: '/CALL/[a-z]+', ignoreCase: true },
      req({ path: '/call/proxy' }),
      'miss',
    ],
    ['(?i) folds a regex path', { regexMatch: '(?i)/CALL/[a-z]+' }, req({ path: '/call/proxy' }), 'hit'],
    [
      'query regex is a full match',
      { queryParameters: [{ queryParameter: 'v', regexMatch: '[0-9]' }] },
      req({ query: 'v=12' }),
      'miss',
    ],
    ['ignoreCase prefix', { prefixMatch: '/CALL', ignoreCase: true }, req({ path: '/call/x' }), 'hit'],
    [
      'query exact',
      { queryParameters: [{ queryParameter: 'v', exactMatch: '2' }] },
      req({ query: 'v=2' }),
      'hit',
    ],
    ['query present', { queryParameters: [{ queryParameter: 'v', presentMatch: true }] }, req(), 'miss'],
  ];
  it.each(cases)('%s', (_name, match, facts, expected) => {
    expect(serviceFor(one(match), facts)).toBe(expected);
  });

  it('matches entries are OR-ed', () => {
    const router = new Router([
      file({
        rules: [
          {
            matches: [{ prefixMatch: '/a' }, { prefixMatch: '/b' }],
            action: { destinations: [{ serviceName: bs('hit') }] },
          },
          { action: { destinations: [{ serviceName: bs('miss') }] } },
        ],
      }),
    ]);
    expect(serviceFor(router, req({ path: '/b/1' }))).toBe('hit');
  });
});

describe('header modifiers', () => {
  it('set, add, remove in that order', () => {
    const headers: Record<string, string | string[] | undefined> = { a: '1', gone: 'x' };
    applyHeaderModifiers(headers, [{ set: { B: '2' }, add: { a: '3' }, remove: ['Gone'] }]);
    expect(headers).toEqual({ a: ['1', '3'], b: '2' });
  });
});
