import { readFileSync, writeFileSync } from 'node:fs';
import { runSourceCli } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyInfra, type InfraCopy, startStack } from './helpers/stack.ts';

// `pnpm verify` against a deployment that drifted from the repository in two ways at once, each
// behind a different demo: target-green fails 20 % of its requests (FAIL_PERCENT), and the
// project lets client invoke target1. One stack, one run: verify must exit 1 and name exactly the
// demos behind each drift (it runs every check after a miss). verify reads the repository's files.
let infra: InfraCopy;
let stack: Awaited<ReturnType<typeof startStack>>;
let run: { code: number | null; out: string };
beforeAll(async () => {
  infra = copyInfra('verify-drift');
  writeFileSync(
    infra.topology,
    readFileSync(infra.topology, 'utf8').replace('invokers: [proxy]', 'invokers: [proxy, client]'),
  );
  stack = await startStack([
    ...['--even-splits', '--topology', infra.topology],
    ...['--env', 'target-green:FAIL_PERCENT=20'],
  ]);
  run = await runSourceCli('packages/traffic/src/verify/cli.ts', ['--url', stack.lb]);
}, 90_000);
afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
  infra?.remove();
});

it('exits 1 and lists each miss under its demo', () => {
  expect(run.code, run.out).toBe(1);
  expect(run.out).toMatch(/^verify: \d misses \(1092 requests in \d+\.\d s\):$/m);
});

it('where client may invoke target1: demo 3, the 403 that did not come', () => {
  expect(run.out).toContain(
    '  demo 3 (IAM: a call the topology forbids answers 403, route-target1): 31 of 31 answers were 200 {"message":"client <- target1"}',
  );
});

it('where target-green fails 20 %: the header A/B that selects it, every fifth answer a 500', () => {
  expect(run.out).toMatch(
    /^ {2}demo 4 \(header A\/B, route-ab with x-variant: green\): 6 of 31 answers were 500 at client -> ab\.meshapps\.internal$/m,
  );
});

it('names nothing the drift does not reach: the chains, the 50:50, the A/B default and the trace ids pass', () => {
  const misses = run.out.slice(run.out.indexOf('\nverify: ')).split('\n').slice(2);
  const named = new Set(misses.filter((m) => m !== '').map((m) => /^ {2}(demo \d \([^)]*\))/.exec(m)?.[1]));
  named.delete('demo 4 (canary split, route-target)'); // its ~7 target-green answers may hold a 500
  expect([...named]).toEqual([
    'demo 3 (IAM: a call the topology forbids answers 403, route-target1)',
    'demo 4 (header A/B, route-ab with x-variant: green)',
  ]);
});
