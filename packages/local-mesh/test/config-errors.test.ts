import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES_DIR } from '@meshapps/mesh-config';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { getJson, runCli, startStack } from './helpers/stack.ts';

let dir: string;
function copyOfRoutes(): string {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-routes-'));
  cpSync(ROUTES_DIR, dir, { recursive: true });
  return dir;
}
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Edits one route file of the copy as data, so the planted mistake is exactly the one named. */
function editRoute(routes: string, name: string, edit: (route: any) => void): void {
  const file = join(routes, name);
  const route = parse(readFileSync(file, 'utf8'));
  edit(route);
  writeFileSync(file, stringify(route));
}

async function failedStart(routesDir: string): Promise<{ code: number | null; output: string }> {
  const run = runCli(['--port', '0', '--participant-port', '0', '--trace-port', '0', '--routes', routesDir]);
  const code = await run.exited;
  return { code, output: run.lines.join('\n') };
}

describe('route files route CD would refuse stop pnpm start (what it only cannot emulate is said: unsupported.test.ts)', () => {
  it('an unknown field: file and field named', async () => {
    const routes = copyOfRoutes();
    editRoute(routes, 'target23.yaml', (r) => {
      r.rules[0].action.destinations[0].wieght = 50;
    });
    const { code, output } = await failedStart(routes);
    expect(code).toBe(1);
    expect(output).toMatch(/target23\.yaml: rules\[0\]\.action\.destinations\[0\]\.wieght: unknown field/);
  });

  it('weights on some destinations but not all', async () => {
    const routes = copyOfRoutes();
    editRoute(routes, 'target23.yaml', (r) => {
      delete r.rules[0].action.destinations[1].weight;
    });
    const { code, output } = await failedStart(routes);
    expect(code).toBe(1);
    expect(output).toContain('set weight on all destinations or on none');
  });
});

describe('the route file is what routes', () => {
  it('changing a weight and restarting changes the observed split', async () => {
    const routes = copyOfRoutes();
    editRoute(routes, 'target23.yaml', (r) => {
      r.rules[0].action.destinations[0].weight = 0; // target2
      r.rules[0].action.destinations[1].weight = 100; // target3
    });
    const stack = await startStack(['--routes', routes]);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 100; i++)
        seen.add((await getJson(`${stack.lb}/call/target23.meshapps.internal`)).body.message);
      expect([...seen]).toEqual(['client <- target3']);
    } finally {
      expect(await stack.stop()).toBe(0);
    }
  }, 90_000); // a whole stack starts inside the test, beside other files' stacks
});
