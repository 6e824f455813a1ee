import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  ConfigInvalidError,
  checkRoutes,
  loadRoutes,
  loadTopology,
  parseTopology,
  ROUTES_DIR,
  renderRoute,
  TOPOLOGY_FILE,
} from '../src/index.ts';

const topology = loadTopology(TOPOLOGY_FILE);
const original = (name: string) => readFileSync(join(ROUTES_DIR, name), 'utf8');

function errorsOf(files: { file: string; text: string }[]): string[] {
  try {
    checkRoutes(files, topology);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err;
    return err.errors.map((e) => `${e.path}: ${e.message}`);
  }
}
function withEdit(name: string, edit: (r: any) => void): { file: string; text: string }[] {
  const route = parse(original(name));
  edit(route);
  return [{ file: name, text: stringify(route) }];
}

describe('the shipped routes and topology', () => {
  it('are valid', () => {
    const routes = loadRoutes(ROUTES_DIR, topology);
    expect(routes.map((r) => r.route.name).sort()).toEqual(
      [
        'route-ab',
        'route-proxy',
        'route-target',
        'route-target1',
        'route-target2',
        'route-target23',
        'route-target3',
      ].sort(),
    );
  });
});

describe('HttpRoute shape and cross-checks', () => {
  const cases: [string, string, (r: any) => void, string][] = [
    [
      'unknown field',
      'target23.yaml',
      (r) => (r.rules[0].action.destinations[0].wieght = 1),
      'rules[0].action.destinations[0].wieght: unknown field',
    ],
    ['missing rules', 'proxy.yaml', (r) => delete r.rules, 'rules: required field is missing'],
    ['output-only field', 'proxy.yaml', (r) => (r.createTime = 'x'), 'createTime: output-only field'],
    [
      'weights on some only',
      'target23.yaml',
      (r) => delete r.rules[0].action.destinations[1].weight,
      'set weight on all destinations or on none',
    ],
    [
      'negative weight',
      'target23.yaml',
      (r) => (r.rules[0].action.destinations[1].weight = -1),
      'must be at least 0',
    ],
    [
      'two path matches',
      'ab.yaml',
      (r) => (r.rules[0].matches[0] = { prefixMatch: '/', fullPathMatch: '/x' }),
      'set only one of',
    ],
    ['bad duration', 'proxy.yaml', (r) => (r.rules[0].action.timeout = '5 seconds'), 'expected a duration'],
    [
      'bad retry condition',
      'proxy.yaml',
      (r) => (r.rules[0].action.retryPolicy = { retryConditions: ['server_error'] }),
      'retry condition must be one of',
    ],
    [
      'hostname outside the mesh domain',
      'proxy.yaml',
      (r) => (r.hostnames = ['proxy.example.com']),
      'not under the mesh domain',
    ],
    [
      'hostname with a port',
      'proxy.yaml',
      (r) => (r.hostnames = ['proxy.meshapps.internal:80']),
      'hostname must be a lower-case DNS name',
    ],
    [
      'destination not in the topology',
      'proxy.yaml',
      (r) =>
        (r.rules[0].action.destinations[0].serviceName =
          r.rules[0].action.destinations[0].serviceName.replace('proxy', 'nosuch')),
      'backend service "nosuch" is not a service in the topology',
    ],
    [
      'a literal project id',
      'proxy.yaml',
      (r) => (r.meshes = ['projects/my-project/locations/global/meshes/meshapps']),
      'names a project',
    ],
    [
      'another mesh',
      'proxy.yaml',
      (r) => (r.meshes = ['projects/${PROJECT_ID}/locations/global/meshes/other']),
      'expected projects/${PROJECT_ID}/locations/global/meshes/meshapps',
    ],
    ['no mesh', 'proxy.yaml', (r) => delete r.meshes, 'attach the route to the mesh'],
    [
      'an empty header range',
      'ab.yaml',
      (r) => (r.rules[0].matches[0].headers[0] = { header: 'x-n', rangeMatch: { start: 5, end: 5 } }),
      'must be below end',
    ],
    [
      'a path regex RE2 cannot compile (lookahead, backreference)',
      'ab.yaml',
      (r) => (r.rules[0].matches[0] = { regexMatch: '/(?=api)api/(\\d+)/\\1' }),
      'rules[0].matches[0].regexMatch: "/(?=api)api/(\\\\d+)/\\\\1" is not RE2, the regex syntax of HttpRoute (Google\'s API and Envoy): error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ],
    [
      'a header regex with a backreference',
      'ab.yaml',
      (r) => (r.rules[0].matches[0].headers[0] = { header: 'x-v', regexMatch: '(a)\\1' }),
      'rules[0].matches[0].headers[0].regexMatch: "(a)\\\\1" is not RE2',
    ],
    [
      "a query regex with a repeat count past RE2's 1000",
      'ab.yaml',
      (r) => (r.rules[0].matches[0] = { queryParameters: [{ queryParameter: 'v', regexMatch: 'a{1001}' }] }),
      'rules[0].matches[0].queryParameters[0].regexMatch: "a{1001}" is not RE2, the regex syntax of HttpRoute (Google\'s API and Envoy): error parsing regexp: invalid repeat count',
    ],
  ];
  it.each(cases)('%s is caught', (_name, file, edit, message) => {
    expect(errorsOf(withEdit(file, edit)).join('\n')).toContain(message);
  });

  it('an unknown field names its path and the fields known there', () => {
    expect(
      errorsOf(withEdit('target23.yaml', (r) => (r.rules[0].action.destinations[0].wieght = 1))),
    ).toEqual([
      'rules[0].action.destinations[0].wieght: unknown field (known here: serviceName, weight, requestHeaderModifier, responseHeaderModifier)',
    ]);
  });

  it('every mistake in a file is reported in one run, a "one of" group beside a wrong field', () => {
    const errors = errorsOf(
      withEdit('ab.yaml', (r) => {
        r.rules[0].matches[0] = { prefixMatch: 'x', fullPathMatch: '/x', headers: 'a' };
        r.rules[1].action.destinations[0].weight = 1.5;
        r.selfLink = 'x';
      }),
    );
    expect(errors.sort()).toEqual(
      [
        'rules[0].matches[0].prefixMatch: a path prefix must start with "/"',
        'rules[0].matches[0].headers: expected a list, got string "a"',
        'rules[0].matches[0]: set only one of fullPathMatch, prefixMatch, regexMatch (found fullPathMatch, prefixMatch)',
        'rules[1].action.destinations[0].weight: expected an integer, got number 1.5',
        'selfLink: output-only field: the API sets it, remove it from the file',
      ].sort(),
    );
  });

  it('a document that is not a mapping is reported at (document)', () => {
    expect(errorsOf([{ file: 'x.yaml', text: '- a\n' }])).toEqual([
      '(document): expected a mapping, got a list',
    ]);
  });

  it('RE2 syntax JavaScript lacks is accepted: named groups, inline flags, Unicode classes', () => {
    const files = withEdit('ab.yaml', (r) => {
      r.rules[0].matches[0] = {
        regexMatch: '(?i)/call/(?P<host>\\pL+)',
        headers: [{ header: 'x-v', regexMatch: '[[:alpha:]]+' }],
      };
    });
    expect(errorsOf(files)).toEqual([]);
  });

  it('duplicate hostnames across files are caught, naming the other file', () => {
    const a = { file: 'a.yaml', text: original('target1.yaml') };
    const b = {
      file: 'b.yaml',
      text: original('target1.yaml').replace('name: route-target1', 'name: route-other'),
    };
    expect(errorsOf([a, b])).toContain(
      'hostnames[0]: "target1.meshapps.internal" is already routed by a.yaml (unique per mesh)',
    );
  });
});

describe('rendering for a project', () => {
  it('fills every placeholder and stays valid YAML', () => {
    const text = renderRoute(original('target23.yaml'), 'my-project-123');
    expect(text).not.toContain('${');
    expect(parse(text).meshes).toEqual(['projects/my-project-123/locations/global/meshes/meshapps']);
  });
  it('refuses something that is not a project id', () => {
    expect(() => renderRoute('x', 'My Project')).toThrow(/not a Google Cloud project id/);
  });
});

describe('topology', () => {
  const text = readFileSync(TOPOLOGY_FILE, 'utf8');
  it('grants exactly the talk’s invokers', () => {
    const grants = topology.services.flatMap((s) => s.invokers.map((i) => `${i} -> ${s.name}`)).sort();
    expect(grants).toEqual(
      [
        'client -> proxy',
        'proxy -> target1',
        'client -> target2',
        'client -> target3',
        'client -> target',
        'client -> target-green',
        'without-mesh-client -> without-mesh-target',
      ].sort(),
    );
  });
  it('an invoker that is not a service is caught', () => {
    expect(() =>
      parseTopology(text.replace('invokers: [proxy]', 'invokers: [proxi]'), 'topology.yaml'),
    ).toThrow(/no service named "proxi"/);
  });
  it('a shared service account is caught', () => {
    expect(() =>
      parseTopology(
        text.replace('serviceAccount: meshapps-target2', 'serviceAccount: meshapps-target1'),
        't.yaml',
      ),
    ).toThrow(/already target1's/);
  });
  it('a missing field and a wrong type are caught with their paths', () => {
    expect(() =>
      parseTopology(text.replace('    app: proxy\n', '').replace('mesh: false', 'mesh: "no"'), 't.yaml'),
    ).toThrow(
      /services\.proxy\.app: required field is missing[\s\S]*services\.without-mesh-client\.mesh: expected true or false, got string "no"/,
    );
  });
  it('an unknown ingress is caught', () => {
    expect(() => parseTopology(text.replace('ingress: all', 'ingress: public'), 't.yaml')).toThrow(
      /ingress must be one of/,
    );
  });
  it('env: app settings per service, strings only, never what the platform sets', () => {
    const withEnv = (env: string) =>
      text.replace(
        '  target-green:\n    app: target\n',
        `  target-green:\n    app: target\n    env: ${env}\n`,
      );
    expect(
      parseTopology(withEnv('{ FAIL_PERCENT: "20" }'), 't.yaml').services.find(
        (s) => s.name === 'target-green',
      )?.env,
    ).toEqual({ FAIL_PERCENT: '20' });
    expect(() => parseTopology(withEnv('{ FAIL_PERCENT: 20 }'), 't.yaml')).toThrow(
      'services.target-green.env.FAIL_PERCENT: expected a string, got number 20',
    );
    expect(() => parseTopology(withEnv('{ PORT: "9000" }'), 't.yaml')).toThrow(
      'services.target-green.env.PORT: PORT is set by the platform',
    );
    expect(() => parseTopology(withEnv('{ LISTEN_ADDRESS: "0.0.0.0" }'), 't.yaml')).toThrow(
      'services.target-green.env.LISTEN_ADDRESS: LISTEN_ADDRESS is set by the platform',
    );
    expect(() => parseTopology(withEnv('{ "BAD-NAME": "1" }'), 't.yaml')).toThrow('letters, digits and "_"');
  });
});
