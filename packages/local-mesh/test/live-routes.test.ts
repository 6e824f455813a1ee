import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConfigError,
  formatErrors,
  loadTopology,
  ROUTES_DIR,
  type RouteFile,
  routeFilesIn,
  TOPOLOGY_FILE,
} from '@meshapps/mesh-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkMeshRoutes, LiveRouter } from '../src/live-router.ts';
import { appliedLine, describeRouteChanges } from '../src/route-diff.ts';
import type { RequestFacts } from '../src/route-match.ts';
import { watchRoutes } from '../src/route-watch.ts';

const topology = loadTopology(TOPOLOGY_FILE);
const read = (dir: string) => routeFilesIn(dir).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const facts: RequestFacts = { path: '/', headers: {}, query: '' };

let dir: string;
let routesDir: string;
let topologyFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-live-'));
  routesDir = join(dir, 'routes');
  cpSync(ROUTES_DIR, routesDir, { recursive: true });
  topologyFile = join(dir, 'topology.yaml');
  cpSync(TOPOLOGY_FILE, topologyFile);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const edit = (name: string, from: string, to: string) => {
  const file = join(routesDir, name);
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
};
/** route-target's text with other weights for target and target-green. */
const withWeights = (text: string, target: number, green: number) =>
  text
    .replace(/(backendServices\/target\n\s+weight: )\d+/, `$1${target}`)
    .replace(/(backendServices\/target-green\n\s+weight: )\d+/, `$1${green}`);

describe('describeRouteChanges: the line the mesh prints', () => {
  it('names changed weights, removed routes with their now-404 hosts, and added routes', () => {
    const before = checkMeshRoutes(read(routesDir), topology);
    const file = join(routesDir, 'target.yaml');
    writeFileSync(file, withWeights(readFileSync(file, 'utf8'), 90, 10));
    unlinkSync(join(routesDir, 'target1.yaml'));
    const after = checkMeshRoutes(read(routesDir), topology);
    expect(describeRouteChanges(before, after)).toEqual([
      'route-target1  removed (target1.meshapps.internal now answers 404)',
      'route-target  target 99 → 90, target-green 1 → 10',
    ]);
    expect(describeRouteChanges(after, before)).toContain('route-target1  added (target1.meshapps.internal)');
  });

  it('says nothing for a change that is only text', () => {
    const before = checkMeshRoutes(read(routesDir), topology);
    edit('target.yaml', '# Canary:', '# The canary:');
    expect(describeRouteChanges(before, checkMeshRoutes(read(routesDir), topology))).toEqual([]);
  });
});

describe('LiveRouter', () => {
  it('resolves against the table current when asked; a swap changes only later requests', () => {
    const only = (service: string) =>
      read(routesDir).map((f) =>
        f.file.endsWith('/target.yaml')
          ? { ...f, text: withWeights(f.text, service === 'target' ? 1 : 0, service === 'target' ? 0 : 1) }
          : f,
      );
    const live = new LiveRouter(checkMeshRoutes(only('target'), topology));
    const first = live.resolve('target.meshapps.internal', facts);
    live.swap(checkMeshRoutes(only('target-green'), topology));
    const second = live.resolve('target.meshapps.internal', facts);
    expect(first.ok && first.decision.service).toBe('target');
    expect(second.ok && second.decision.service).toBe('target-green');
  });
});

describe('watchRoutes: route CD on this machine', () => {
  async function watching(run: (lines: string[], live: LiveRouter) => Promise<void>) {
    const live = new LiveRouter(checkMeshRoutes(read(routesDir), topology));
    const lines: string[] = [];
    const watcher = watchRoutes({
      routesDir,
      topologyFile,
      topology,
      router: live,
      say: (l) => lines.push(l),
    });
    try {
      await run(lines, live);
    } finally {
      watcher.close();
    }
  }
  const until = async (lines: string[], pattern: RegExp) => {
    const deadline = Date.now() + 3000;
    while (!lines.some((l) => pattern.test(l))) {
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return lines.find((l) => pattern.test(l)) as string;
  };

  it('applies a valid edit and prints the weights that changed', async () => {
    await watching(async (lines, live) => {
      edit('target.yaml', 'weight: 99', 'weight: 90');
      edit('target.yaml', 'weight: 1\n', 'weight: 10\n');
      expect(await until(lines, /^routes applied/)).toBe(
        'routes applied: route-target  target 99 → 90, target-green 1 → 10',
      );
      expect(live.routes.find((r) => r.route.name === 'route-target')?.text).toContain('weight: 90');
    });
  });

  it('keeps the last good routes on a broken edit and names file, field and reason', async () => {
    await watching(async (lines, live) => {
      const before = live.routes;
      edit('target.yaml', 'weight: 99', 'wieght: 99');
      const line = await until(lines, /^routes not applied/);
      expect(line).toMatch(
        /^routes not applied \(the last good routes stay\): .*routes\/target\.yaml: rules\[0\]\.action\.destinations\[0\]\.wieght: unknown field/,
      );
      expect(live.routes).toBe(before);
      // A field the local mesh only cannot emulate applies, and is said as at start.
      edit('target.yaml', 'wieght: 99', 'weight: 99');
      await until(lines, /^routes applied: no change to routing/);
      edit(
        'target1.yaml',
        '  - action:\n',
        '  - action:\n      statefulSessionAffinity: { cookieTtl: 60s }\n',
      );
      await until(lines, /^routes applied: route-target1 {2}rules\[0\] changed/);
      expect(await until(lines, /rules\[0\]\.action\.statefulSessionAffinity/)).toMatch(
        /^local mesh: .*target1\.yaml: rules\[0\]\.action\.statefulSessionAffinity: not emulated: /,
      );
    });
  });

  it('labels timeout/retry/fault settings applied live as unverified, as the start does', async () => {
    await watching(async (lines) => {
      edit('target1.yaml', '  - action:\n', '  - action:\n      timeout: 2s\n');
      const applied = await until(lines, /^routes applied/);
      expect(await until(lines, /^route-target1 uses/)).toBe(
        "route-target1 uses timeout: Envoy semantics; not confirmed on Cloud Run's managed data plane",
      );
      expect(lines.indexOf(applied)).toBeLessThan(lines.findIndex((l) => l.startsWith('route-target1 uses')));
    });
  });

  it('a deleted file takes its hostnames away', async () => {
    await watching(async (lines, live) => {
      unlinkSync(join(routesDir, 'target1.yaml'));
      await until(lines, /^routes applied: route-target1 {2}removed/);
      expect(live.resolve('target1.meshapps.internal', facts)).toMatchObject({ ok: false, status: 404 });
    });
  });

  it('says a topology change needs a restart, and keeps checking against the old one', async () => {
    await watching(async (lines) => {
      writeFileSync(topologyFile, `${readFileSync(topologyFile, 'utf8')}\n# edited\n`);
      expect(await until(lines, /topology\.yaml changed/)).toContain('need a restart of pnpm start');
    });
  });
});

describe('what a huge route prints is bounded (issue 22 item 15: a 209 KB line for 10,000 rules)', () => {
  const BS = 'projects/${PROJECT_ID}/locations/global/backendServices/';
  const route = (rules: number, service: string): RouteFile => ({
    file: 'big.yaml',
    text: String(rules) + service,
    route: {
      name: 'route-big',
      hostnames: ['big.meshapps.internal'],
      rules: Array.from({ length: rules }, (_, i) => ({
        matches: [{ prefixMatch: `/r${i}` }],
        action: { destinations: [{ serviceName: `${BS}${service}` }] },
      })),
    },
  });

  it('the "routes applied" line names the changed rules as ranges, within 1,000 characters', () => {
    const line = appliedLine([route(10_000, 'target1')], [route(10_000, 'target2')]);
    expect(line).toBe('routes applied: route-big  rules[0–9999] changed');
    const many = appliedLine(
      Array.from({ length: 300 }, (_, i) => ({
        ...route(1, 'a'),
        route: { ...route(1, 'a').route, name: `r${i}` },
      })),
      [],
    );
    expect(many.length).toBeLessThanOrEqual(1000 + 30);
    expect(many).toMatch(/… \(\d+ characters\)$/);
  });

  it('a route with 10,000 mistakes prints 50 of them and the count', () => {
    const errors: ConfigError[] = Array.from({ length: 10_000 }, (_, i) => ({
      file: 'big.yaml',
      path: `rules[${i}].action.destinations[0].wieght`,
      message: 'unknown field',
    }));
    const lines = formatErrors(errors).split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[50]).toBe('… and 9950 more (10000 problems in all; fix these first)');
  });
});
