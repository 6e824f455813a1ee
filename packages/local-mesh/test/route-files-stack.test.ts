// Issue 22 items 1, 2 and 6 replayed against `pnpm start` (item 10: regex-cache.test.ts): a route
// file that is a device, a FIFO or 50 MB, and a costly regex with a 12 KB header. The stack keeps
// answering the load balancer (a concurrent probe within 1 s each), the last good routes keep
// serving, the refusal names file and limit, and the mesh's memory stays in its budget.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, ROUTES_DIR } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rssMiB } from '../src/process-rss.ts';
import { runCli, type Stack, startStack } from './helpers/stack.ts';

const CHAIN = '/call/proxy.meshapps.internal/target1.meshapps.internal';
let dir: string;
let routes: string;
let stack: Stack;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-route-files-'));
  routes = join(dir, 'routes');
  cpSync(ROUTES_DIR, routes, { recursive: true });
  stack = await startStack([
    '--port',
    '0',
    '--participant-port',
    '0',
    '--trace-port',
    '0',
    '--routes',
    routes,
  ]);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The first line after `from` matching `pattern` (polled: the watcher settles for 50 ms). */
async function lineAfter(from: number, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const hit = stack.lines.slice(from).find((l) => pattern.test(l));
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(`no line matching ${pattern} in:\n${stack.lines.slice(from).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `during` while a probe asks the load balancer every 50 ms; each answer must come within 1 s. */
async function probing(during: () => Promise<void>): Promise<{ answers: number; slowestMs: number }> {
  let stop = false;
  const seen = { answers: 0, slowestMs: 0 };
  const probe = (async () => {
    while (!stop) {
      const started = performance.now();
      const res = await fetch(`${stack.lb}${CHAIN}`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      expect(res.status).toBe(200);
      seen.answers++;
      seen.slowestMs = Math.max(seen.slowestMs, performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await during();
  } finally {
    stop = true;
    await probe;
  }
  expect(seen.answers).toBeGreaterThan(0);
  return seen;
}

describe('a route file that is not a regular file, or too large (issue 22 items 1 and 2)', () => {
  it('a symlink to /dev/zero and a FIFO are refused by name; the stack answers throughout', async () => {
    const seen = await probing(async () => {
      const from = stack.lines.length;
      symlinkSync('/dev/zero', join(routes, 'zero.yaml'));
      expect(await lineAfter(from, /zero\.yaml/)).toMatch(
        /routes not applied \(the last good routes stay\): .*zero\.yaml: is a symlink leading out of its folder \(to \/dev\/zero\): refused$/,
      );
      unlinkSync(join(routes, 'zero.yaml'));
      const next = stack.lines.length;
      execFileSync('mkfifo', [join(routes, 'pipe.yaml')]);
      expect(await lineAfter(next, /pipe\.yaml/)).toMatch(
        /pipe\.yaml: is a FIFO \(named pipe\), not a regular file: refused$/,
      );
      unlinkSync(join(routes, 'pipe.yaml'));
    });
    expect(seen.slowestMs).toBeLessThan(1000);
  });

  it('a valid 50 MB route is refused before it is read; the last good routes serve, memory stays in budget', async () => {
    // Built and encoded before the probe starts: the test's own event loop must stay free.
    const text = readFileSync(join(routes, 'target1.yaml'), 'utf8')
      .replace('name: route-target1', `name: route-huge\ndescription: ${'x'.repeat(50 * 1024 * 1024)}`)
      .replace('target1.meshapps.internal', 'huge.meshapps.internal');
    const bytes = Buffer.from(text);
    const seen = await probing(async () => {
      const from = stack.lines.length;
      await writeFile(join(routes, 'huge.yaml'), bytes);
      expect(await lineAfter(from, /huge\.yaml/)).toMatch(
        /huge\.yaml: is [\d,]+ bytes; the cap for a config file is 262,144 bytes \(256 KiB\), far above any real route: refused$/,
      );
      unlinkSync(join(routes, 'huge.yaml'));
    });
    expect(seen.slowestMs).toBeLessThan(1000);
    expect(rssMiB(stack.pid)).toBeLessThan(400);
  });

  it('pnpm start and routes:check refuse such a file at start, naming it (nothing starts)', async () => {
    const bad = join(dir, 'bad-routes');
    cpSync(ROUTES_DIR, bad, { recursive: true });
    symlinkSync('/dev/zero', join(bad, 'zero.yaml'));
    const check = spawnSync(
      process.execPath,
      ['--conditions=source', 'packages/local-mesh/src/routes-check.ts', '--routes', bad],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(check.status).toBe(1);
    expect(check.stderr).toContain(
      'zero.yaml: is a symlink leading out of its folder (to /dev/zero): refused',
    );
    const run = runCli(['--port', '0', '--participant-port', '0', '--trace-port', '0', '--routes', bad]);
    expect(await run.exited).toBe(1);
    expect(run.lines.join('\n')).toMatch(
      /local mesh not started: .*zero\.yaml: is a symlink leading out of its folder/,
    );
  });
});

describe('a costly route regex and a 12 KB header (issue 22 item 6)', () => {
  const ab = () => join(routes, 'ab.yaml');
  const withHeaderRegex = (regex: string) =>
    readFileSync(ab(), 'utf8').replace(/exactMatch: green|regexMatch: .*/, `regexMatch: '${regex}'`);

  it("is refused above Envoy's program size; at the limit, 12 KB headers through the load balancer leave the probe under 1 s", async () => {
    const original = readFileSync(ab(), 'utf8');
    try {
      let from = stack.lines.length;
      writeFileSync(ab(), withHeaderRegex('(?:a|aa|aaa|aaaa){0,500}b'));
      expect(await lineAfter(from, /ab\.yaml/)).toContain(
        'ab.yaml: rules[0].matches[0].headers[0].regexMatch: "(?:a|aa|aaa|aaaa){0,500}b" compiles to an RE2 program of 5503 instructions; Envoy refuses regexes above 100',
      );
      // The largest of that family Envoy's limit lets through: applied, then hit with 12 KB values.
      from = stack.lines.length;
      writeFileSync(ab(), withHeaderRegex('(?:a|aa|aaa|aaaa){0,8}b'));
      await lineAfter(from, /routes applied: route-ab/);
      const value = 'a'.repeat(12 * 1024);
      const ask = () =>
        fetch(`${stack.lb}/call/ab.meshapps.internal`, { headers: { 'x-variant': value } }).then(
          (r) => r.status,
        );
      expect(await ask()).toBe(200);
      const seen = await probing(async () => {
        // 40 such requests, 4 at a time: each is matched against the regex by the client's sidecar.
        for (let round = 0; round < 10; round++) {
          expect(await Promise.all([ask(), ask(), ask(), ask()])).toEqual([200, 200, 200, 200]);
        }
      });
      expect(seen.slowestMs).toBeLessThan(1000);
      // Header values are bounded where they arrive: past Node's 16 KiB, the listener answers 431.
      const tooLong = await fetch(`${stack.lb}/call/ab.meshapps.internal`, {
        headers: { 'x-variant': 'a'.repeat(17 * 1024) },
      });
      expect(tooLong.status).toBe(431);
    } finally {
      const from = stack.lines.length;
      writeFileSync(ab(), original);
      await lineAfter(from, /routes applied: route-ab/);
    }
  });
});
