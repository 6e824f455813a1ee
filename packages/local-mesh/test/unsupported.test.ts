import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES_DIR, type RouteAction, type RouteFile, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readConfig } from '../src/read-config.ts';
import type { RequestFacts } from '../src/route-match.ts';
import { Router } from '../src/router.ts';
import { localNotices } from '../src/unsupported.ts';

const BACKEND = 'projects/${PROJECT_ID}/locations/global/backendServices/';
const withMatch = (match: object): RouteFile => ({
  file: 'ab.yaml',
  text: '',
  route: {
    name: 'route-ab',
    hostnames: ['ab.meshapps.internal'],
    rules: [{ matches: [match], action: { destinations: [{ serviceName: 'x' }] } }],
  },
});
const withAction = (action: RouteAction, matches?: object[]): RouteFile => ({
  file: 'x.yaml',
  text: '',
  route: {
    name: 'route-x',
    hostnames: ['x.meshapps.internal'],
    rules: [{ ...(matches ? { matches } : {}), action }],
  },
});
const req = (path = '/a/b', query = ''): RequestFacts => ({
  path,
  headers: {},
  query,
});
const answer = (route: RouteFile, facts = req(), random = () => 0) => {
  const result = new Router([route], random).resolve('x.meshapps.internal', facts);
  if (result.ok) throw new Error('forwarded');
  return { ...result, body: String(result.body) };
};

describe('route regexes: RE2, as the cloud matches them, never refused locally', () => {
  // The route file as written, through both local steps: the notices `pnpm start` prints, and the
  // router that then serves it. JavaScript's RegExp would refuse both patterns (named groups are
  // (?<v>…) there, inline flags do not exist); RE2 takes them.
  const cases: [what: string, match: object, hit: RequestFacts, miss: RequestFacts][] = [
    [
      'a named group (?P<v>…) in a header regex',
      { headers: [{ header: 'x-v', regexMatch: '(?P<v>a+)' }] },
      { ...req(), headers: { 'x-v': 'aaa' } },
      { ...req(), headers: { 'x-v': 'aab' } },
    ],
    [
      'an inline flag (?i) in a path regex',
      { regexMatch: '(?i)/call/[a-z0-9.]+' },
      req('/CALL/Target1'),
      req('/nope'),
    ],
  ];
  it.each(cases)('%s: no notice, and the router matches it', (_what, match, hit, miss) => {
    const route = withMatch(match);
    expect(localNotices([route])).toEqual([]);
    const router = new Router([route]);
    expect(router.resolve('ab.meshapps.internal', hit)).toMatchObject({
      ok: true,
      decision: { service: 'x' },
    });
    expect(router.resolve('ab.meshapps.internal', miss)).toMatchObject({ ok: false, status: 404 });
  });
});

describe('action-only rules run locally with Envoy semantics, labelled', () => {
  it('directResponse answers its status and body (bytesBody decoded), and says it is unverified', () => {
    const text = withAction({ directResponse: { status: 418, stringBody: 'short and stout' } });
    expect(answer(text)).toMatchObject({ status: 418, body: 'short and stout', route: 'route-x' });
    const bytes = withAction({
      directResponse: { status: 200, bytesBody: Buffer.from('hi').toString('base64') },
    });
    expect(answer(bytes)).toMatchObject({ status: 200, body: 'hi' });
    expect(localNotices([text])).toEqual([
      "local mesh: x.yaml: rules[0].action.directResponse: emulated: answers 418 with its body, destinations unused (Envoy semantics; not confirmed on Cloud Run's managed data plane)",
    ]);
  });

  it('redirect builds Location as Envoy does: host, port, https, path or swapped prefix, query kept or stripped', () => {
    const cases: [RouteAction['redirect'], object[] | undefined, string, number][] = [
      [{}, undefined, 'http://x.meshapps.internal/a/b?q=1', 301],
      [
        { hostRedirect: 'y.example', httpsRedirect: true, portRedirect: 8443 },
        undefined,
        'https://y.example:8443/a/b?q=1',
        301,
      ],
      [
        { pathRedirect: '/new', stripQuery: true, responseCode: 'FOUND' },
        undefined,
        'http://x.meshapps.internal/new',
        302,
      ],
      [
        { prefixRewrite: '/v2', responseCode: 'PERMANENT_REDIRECT' },
        [{ prefixMatch: '/a' }],
        'http://x.meshapps.internal/v2/b?q=1',
        308,
      ],
      [
        { prefixRewrite: '/whole', responseCode: 'SEE_OTHER' },
        [{ fullPathMatch: '/a/b' }],
        'http://x.meshapps.internal/whole?q=1',
        303,
      ],
      [{ responseCode: 'TEMPORARY_REDIRECT' }, undefined, 'http://x.meshapps.internal/a/b?q=1', 307],
    ];
    for (const [redirect, matches, location, status] of cases) {
      const got = answer(withAction({ redirect }, matches), req('/a/b', 'q=1'));
      expect({ status: got.status, location: got.headers.location }).toEqual({ status, location });
    }
  });

  it('redirect keeps the query exactly as sent (Envoy: raw query unless stripQuery)', () => {
    const raw = 'flag&a=b%20c&t=~x&p=a/b';
    const got = answer(withAction({ redirect: {} }), req('/a/b', raw));
    expect(got.headers.location).toBe(`http://x.meshapps.internal/a/b?${raw}`);
  });

  it("the rule's responseHeaderModifier edits the answers it makes itself, as Envoy's route header rules do", () => {
    const responseHeaderModifier = { set: { 'x-route': 'x' }, add: { 'x-more': 'm' } };
    const actions: RouteAction[] = [
      { directResponse: { status: 418, stringBody: 'no' }, responseHeaderModifier },
      { redirect: { pathRedirect: '/new' }, responseHeaderModifier },
      { faultInjectionPolicy: { abort: { httpStatus: 503, percentage: 100 } }, responseHeaderModifier },
      { responseHeaderModifier },
    ];
    for (const action of actions) {
      const got = answer(withAction(action));
      expect(got.headers, JSON.stringify(action)).toMatchObject({ 'x-route': 'x', 'x-more': 'm' });
    }
    // Each answer has its own headers: the edit above does not leak into a rule without one.
    const plainAnswer = answer(withAction({ directResponse: { status: 418, stringBody: 'no' } }));
    expect(plainAnswer.headers).toEqual({ 'content-type': 'text/plain' });
  });

  it('a fault abort without destinations answers on its percentage (FI), the rest 503 (NC); both said at start', () => {
    const route = withAction({ faultInjectionPolicy: { abort: { httpStatus: 503, percentage: 50 } } });
    expect(answer(route, req(), () => 0.2)).toMatchObject({
      status: 503,
      body: 'fault filter abort',
      flags: 'FI',
    });
    expect(answer(route, req(), () => 0.7)).toMatchObject({ status: 503, flags: 'NC' });
    const teapot = withAction({ faultInjectionPolicy: { abort: { httpStatus: 418, percentage: 100 } } });
    expect(answer(teapot)).toMatchObject({ status: 418, flags: 'FI' });
    expect(localNotices([route])[0]).toContain(
      'emulated without destinations: 50 % answer 503 (FI), the rest 503',
    );
  });

  it('a rule that does nothing with a request answers 503 here, and says so', () => {
    const route = withAction({ requestHeaderModifier: { set: { a: 'b' } } });
    expect(answer(route)).toMatchObject({ status: 503, flags: 'NC' });
    expect(localNotices([route])).toEqual([
      'local mesh: x.yaml: rules[0].action.destinations: none, and no directResponse, redirect or fault abort: this rule answers 503 here (no destination, NC)',
    ]);
  });
});

describe('pnpm start runs every route route CD accepts, saying what differs here', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a field the local mesh does not emulate loads, and the start names file, field and what happens', () => {
    dir = mkdtempSync(join(tmpdir(), 'meshapps-local-layer-'));
    cpSync(ROUTES_DIR, dir, { recursive: true });
    const file = join(dir, 'target1.yaml');
    const route = parse(readFileSync(file, 'utf8'));
    route.rules[0].action.idleTimeout = '2s';
    route.rules.unshift({
      matches: [{ prefixMatch: '/teapot' }],
      action: { directResponse: { status: 418, stringBody: 'no' } },
    });
    route.rules[1].action.destinations[0].serviceName = `${BACKEND}target1`;
    writeFileSync(file, stringify(route));
    const lines: string[] = [];
    const config = readConfig({ topologyFile: TOPOLOGY_FILE, routesDir: dir }, {}, (l) => lines.push(l));
    expect(config.routes.map((r) => r.route.name)).toContain('route-target1');
    expect(lines).toContainEqual(
      expect.stringMatching(/^local mesh: .*target1\.yaml: rules\[1\]\.action\.idleTimeout: not emulated: /),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^local mesh: .*target1\.yaml: rules\[0\]\.action\.directResponse: emulated: answers 418/,
      ),
    );
  });
});
