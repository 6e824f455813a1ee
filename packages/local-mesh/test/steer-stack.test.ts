import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES_DIR, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { runSourceCli } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { getJson, type Stack, startStack } from './helpers/stack.ts';

// Steering the running stack: route edits applied live, and pnpm canary walking a healthy release.
// Everything works on a copy of infra/ (the repository's route files are never edited by tests).
let stack: Stack;
let dir: string;
const routes = () => join(dir, 'routes');
const original = readFileSync(join(ROUTES_DIR, 'target.yaml'), 'utf8');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-steer-'));
  cpSync(ROUTES_DIR, routes(), { recursive: true });
  cpSync(TOPOLOGY_FILE, join(dir, 'topology.yaml'));
  // --even-splits: the 50/50 checks below count, rather than draw (0.1 % false failures each).
  stack = await startStack(['--even-splits', '--routes', routes(), '--topology', join(dir, 'topology.yaml')]);
});
afterAll(async () => {
  expect(await stack.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first stack line after `from` matching `pattern`, and when it came. */
async function line(pattern: RegExp, from: number): Promise<{ text: string; at: number }> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = stack.lines.slice(from).find((l) => pattern.test(l));
    if (found) return { text: found, at: performance.now() };
    if (Date.now() > deadline) throw new Error(`no line ${pattern}:\n${stack.lines.slice(from).join('\n')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const write = (name: string, text: string) => {
  const from = stack.lines.length;
  writeFileSync(join(routes(), name), text);
  return { from, at: performance.now() };
};
const weighted = (target: number, green: number) =>
  original.replace('weight: 99', `weight: ${target}`).replace('weight: 1\n', `weight: ${green}\n`);
const splitCheck = (expect: string) =>
  runSourceCli('packages/traffic/src/split-check.ts', [
    ...['--url', `${stack.lb}/call/target.meshapps.internal`, '-n', '400', '--expect', expect],
  ]);

describe('routes that change live', () => {
  it('a weight edit is applied within 1 s without a restart, and split:check follows it', async () => {
    const edit = write('target.yaml', weighted(50, 50));
    const applied = await line(/routes applied/, edit.from);
    expect(applied.text).toMatch(/routes applied: route-target {2}target 99 → 50, target-green 1 → 50$/);
    expect(applied.at - edit.at).toBeLessThan(1000);
    const check = await splitCheck('target=50,target-green=50');
    expect(check.out).toContain('split consistent with --expect');
  });

  it('a broken edit leaves the last good routes serving and names file, field and reason', async () => {
    const edit = write('target.yaml', weighted(50, 50).replace('weight: 50', 'wieght: 50'));
    const refused = await line(/routes not applied/, edit.from);
    expect(refused.text).toMatch(
      /routes not applied \(the last good routes stay\): \S+\/routes\/target\.yaml: rules\[0\]\.action\.destinations\[0\]\.wieght: unknown field/,
    );
    expect((await splitCheck('target=50,target-green=50')).out).toContain('split consistent with --expect');
    const back = write('target.yaml', original);
    expect((await line(/routes applied/, back.from)).text).toMatch(/target 50 → 99, target-green 50 → 1$/);
  });

  it('a deleted route file takes its hostname away: 404 afterwards', async () => {
    const from = stack.lines.length;
    unlinkSync(join(routes(), 'target1.yaml'));
    await line(
      /routes applied: route-target1 {2}removed \(target1\.meshapps\.internal now answers 404\)/,
      from,
    );
    const { status, body } = await getJson(
      `${stack.lb}/call/proxy.meshapps.internal/target1.meshapps.internal`,
    );
    expect(status).toBe(404);
    expect(body.error.message).toContain('no route for host "target1.meshapps.internal"');
  });

  it('a topology edit says that it needs a restart', async () => {
    const from = stack.lines.length;
    writeFileSync(join(dir, 'topology.yaml'), `${readFileSync(TOPOLOGY_FILE, 'utf8')}\n# edited\n`);
    expect((await line(/topology\.yaml changed/, from)).text).toContain('need a restart of pnpm start');
  });
});

describe('pnpm canary against the running stack', () => {
  it('walks a healthy target-green 1 → 10 → 50 → 100, printing each step, and leaves the route at 0/100', async () => {
    const { code, out } = await runSourceCli('packages/traffic/src/canary/cli.ts', [
      ...['--route', 'target', '--to', 'target-green', '--steps', '1,10,50,100'],
      ...['--url', `${stack.lb}/call/target.meshapps.internal`, '--routes', routes()],
      // Fewer answers per step than the defaults need (34 rather than 146 at 1 %): same logic, faster.
      ...['--confidence', '0.9', '--floor', '90'],
      // A healthy release on a loaded machine: the 100 % step's p90 is compared with the step
      // before's, seconds earlier, and load swings move it by tens of ms (seen at load 18 on 2
      // cores). The latency gate is tested on its own (canary.test.ts); here it must not flake.
      ...['--latency-slack', '1000'],
    ]);
    expect(code, out).toBe(0);
    expect(out.match(/^ {2}pass: /gm)).toHaveLength(4);
    expect(out.match(/^ {2}target-green +\d+ answers +success +\d+\.\d % \[.*p90/gm)).toHaveLength(4);
    expect(out).toMatch(/canary done: route-target at target 0, target-green 100/);
    const weights = parse(
      readFileSync(join(routes(), 'target.yaml'), 'utf8'),
    ).rules[0].action.destinations.map((d: { weight: number }) => d.weight);
    expect(weights).toEqual([0, 100]);
    expect(stack.lines.filter((l) => l.includes('routes applied: route-target  target'))).toContainEqual(
      expect.stringContaining('target 50 → 0, target-green 50 → 100'),
    );
  }, 120_000); // ~4,600 requests through the real chain: seconds here, longer on a loaded machine
});
