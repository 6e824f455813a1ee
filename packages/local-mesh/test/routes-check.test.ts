import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, ROUTES_DIR } from '@meshapps/mesh-config';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function routesCheck(routes: string): { status: number | null; output: string } {
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', 'packages/local-mesh/src/routes-check.ts', '--routes', routes],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('pnpm routes:check holds route regexes to RE2', () => {
  it('passes the shipped routes, and fails a planted lookahead and backreference with file, field and reason', () => {
    dir = mkdtempSync(join(tmpdir(), 'meshapps-routes-check-'));
    cpSync(ROUTES_DIR, dir, { recursive: true });
    expect(routesCheck(dir).status).toBe(0);

    const file = join(dir, 'ab.yaml');
    const route = parse(readFileSync(file, 'utf8'));
    route.rules[0].matches[0] = { regexMatch: '/(?=api)api/(\\d+)/\\1' };
    writeFileSync(file, stringify(route));
    const { status, output } = routesCheck(dir);
    expect(status).toBe(1);
    expect(output).toContain(
      'ab.yaml: rules[0].matches[0].regexMatch: "/(?=api)api/(\\\\d+)/\\\\1" is not RE2, the regex syntax of HttpRoute',
    );
    expect(output).toContain('invalid or unsupported Perl syntax: `(?=`');
  });
});
