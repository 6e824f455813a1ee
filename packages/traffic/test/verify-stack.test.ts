import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runSourceCli, until } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInfra, type InfraCopy, startStack } from './helpers/stack.ts';

// `pnpm verify` against `pnpm start` (the load balancer stand-in answers as the cloud's does). The
// stack serves a copy of the routes; verify reads the repository's own files, so an edit to the
// copy is a deployed project that drifted from the repository. --even-splits: the splits are a
// count, not a draw, so a healthy run cannot miss by chance (verify's own odds are ~0.3 % a run).
let infra: InfraCopy;
let stack: Awaited<ReturnType<typeof startStack>>;
beforeAll(async () => {
  infra = copyInfra('verify');
  stack = await startStack(['--even-splits', '--routes', infra.routes]);
});
afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
  infra?.remove();
});

/** `pnpm verify --url …` itself, as the organiser types it (no `--`). */
const pnpmVerify = (url: string) => runCommand('pnpm', ['--silent', 'verify', '--url', url]);

// Each run is 1,092 requests through the real chain: ~5 s on a quiet 2-core machine, 15 s or more
// when it is shared; the timeouts leave room for that, the work is bounded by verify itself.
describe('pnpm verify against pnpm start', () => {
  it('passes: every demo as the repository declares it, each printed with what it expected and what came', async () => {
    const { code, out } = await pnpmVerify(stack.lb);
    expect(code, out).toBe(0);
    expect(out).toMatch(
      /^verify: http:\/\/127\.0\.0\.1:\d+ — the demos as infra\/topology\.yaml and infra\/routes/m,
    );
    expect(out).toMatch(/^ {2}plan: 7 checks, 1092 requests;/m);
    expect(out).toContain('  expected  200 {"message":"client <- proxy <- target1"}');
    expect(out).toContain('  came      200 {"message":"client <- proxy <- target1"} × 31');
    expect(out).toContain('  came      403 at client -> target1.meshapps.internal × 31');
    expect(out).toMatch(/^ {2}client <- target2 +expected 50\.0 % +came +\d+ of 249/m);
    expect(out).toMatch(/^ {2}client <- target-green +expected +1\.0 % +came +[1-9]\d* of 688/m);
    expect(out).toContain('  came      200 {"message":"client <- target-green"} × 31');
    expect(out).toContain('  x-trace-id on 1092 of 1092 answers, 1092 distinct');
    expect(out).not.toContain('MISS');
    expect(out).toMatch(
      /^verify: every demo answers as the repository declares \(1092 requests in \d+\.\d s\)$/m,
    );
  }, 120_000);

  it('fails, naming the demo, once route-target23 serves 90:10', async () => {
    const file = join(infra.routes, 'target23.yaml');
    const original = readFileSync(file, 'utf8');
    const from = stack.lines.length;
    writeFileSync(file, original.replace('weight: 50', 'weight: 90').replace('weight: 50', 'weight: 10'));
    try {
      await until(
        () => stack.lines.slice(from).some((l) => /routes applied: route-target23 /.test(l)),
        'the stack did not apply the edited route-target23',
      ).catch((err: Error) => {
        throw new Error(`${err.message}:\n${stack.lines.slice(-20).join('\n')}`);
      });
      const { code, out } = await runSourceCli('packages/traffic/src/verify/cli.ts', ['--url', stack.lb]);
      expect(code, out).toBe(1);
      expect(out).toMatch(/^verify: 2 misses \(1092 requests in \d+\.\d s\):$/m);
      expect(out).toMatch(
        /^ {2}demo 4 \(weighted split, route-target23\): client <- target2 came \d+\.\d % \[\d+\.\d %, \d+\.\d %\], expected 50\.0 % \(route-target23 rule 0: target2 weight 50 of 100\)$/m,
      );
      expect(out).toMatch(
        /^ {2}demo 4 \(weighted split, route-target23\): client <- target3 came \d+\.\d %/m,
      );
    } finally {
      writeFileSync(file, original);
    }
  }, 120_000);
});
