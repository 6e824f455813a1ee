import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StartedMesh, startMesh } from '@meshapps/local-mesh/mesh-process';
import { ROUTES_DIR } from '@meshapps/mesh-config';
import { runSourceCli } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, expect, it } from 'vitest';

// A release that fails on purpose (FAIL_PERCENT=20 on target-green, for this run only): pnpm
// canary, with its default gate, rolls back at the first step it can decide and exits 1.
let stack: StartedMesh;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-rollback-'));
  cpSync(ROUTES_DIR, join(dir, 'routes'), { recursive: true });
  stack = await startMesh({
    args: ['--raw-logs', '--routes', join(dir, 'routes'), '--env', 'target-green:FAIL_PERCENT=20'],
  });
});
afterAll(async () => {
  expect(await stack.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

it('rolls back a release failing 20 % of its requests at the first step, restoring the weights', async () => {
  expect(stack.lines).toContainEqual(
    expect.stringContaining('target-green: FAIL_PERCENT=20 (--env, this run only)'),
  );
  const { code, out } = await runSourceCli('packages/traffic/src/canary/cli.ts', [
    ...['--route', 'target', '--to', 'target-green', '--steps', '10,50,100'],
    ...[
      '--url',
      `${stack.ready.loadBalancerUrl}/call/target.meshapps.internal`,
      '--routes',
      join(dir, 'routes'),
    ],
  ]);
  expect(code, out).toBe(1);
  expect(out).toMatch(/^step 1\/3: target 90, target-green 10 /m);
  expect(out).toMatch(/^ {2}target-green +\d+ answers +success +\d+\.\d % \[/m);
  expect(out).toMatch(
    /^ {2}FAIL: target-green's success \d+\.\d % is below the 99\.0 % goal at 99 % confidence/m,
  );
  expect(out).not.toMatch(/^step 2\//m);
  expect(out).toContain('rolling back route-target to target 99, target-green 1');
  expect(readFileSync(join(dir, 'routes/target.yaml'), 'utf8')).toBe(
    readFileSync(join(ROUTES_DIR, 'target.yaml'), 'utf8'),
  );
  expect(stack.lines).toContainEqual(
    expect.stringContaining('routes applied: route-target  target 90 → 99, target-green 10 → 1'),
  );
});
