import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { compileCacheEnv } from '../src/compile-cache.ts';
import { MESH_ENTRY, MESH_NODE_ARGS } from '../src/mesh-process.ts';

describe('compileCacheEnv', () => {
  it("gives every app Node's compile cache under .meshapps/ (gitignored, outside the image context)", () => {
    expect(compileCacheEnv({})).toEqual({
      NODE_COMPILE_CACHE: join(REPO_ROOT, '.meshapps', 'compile-cache'),
    });
  });

  it("lets the developer's own NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE win", () => {
    expect(compileCacheEnv({ NODE_COMPILE_CACHE: '/tmp/cc' })).toEqual({ NODE_COMPILE_CACHE: '/tmp/cc' });
    expect(compileCacheEnv({ NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ NODE_DISABLE_COMPILE_CACHE: '1' });
  });
});

describe("pnpm start's own process (src/start.js)", () => {
  // Node says what its compile cache does when NODE_DEBUG_NATIVE=COMPILE_CACHE.
  const start = (env: Record<string, string | undefined>) => {
    const { NODE_COMPILE_CACHE: _, NODE_DISABLE_COMPILE_CACHE: __, ...rest } = process.env;
    return spawnSync(
      process.execPath,
      ['--conditions=source', join(REPO_ROOT, 'packages/local-mesh/src/start.js'), '--help'],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...rest, NODE_DEBUG_NATIVE: 'COMPILE_CACHE', ...env } },
    );
  };

  it('turns the cache on before the first TypeScript file, in the folder the apps use', () => {
    const run = start({});
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('usage: pnpm start');
    const dir = compileCacheEnv({}).NODE_COMPILE_CACHE as string;
    expect(run.stderr).toContain(`[compile cache] resolved path ${dir} `);
    // cli.ts is looked up in the cache: its stripped form comes from there once warm, so the
    // type stripper is never loaded (a TypeScript entry would be stripped before any cache).
    expect(run.stderr).toMatch(/for StrippedTypeScript file:\/\/\S+\/packages\/local-mesh\/src\/cli\.ts/);
  });

  it("lets the developer's NODE_DISABLE_COMPILE_CACHE win", () => {
    const run = start({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('[compile cache] resolved path');
  });
});

describe('how pnpm start runs node', () => {
  it("package.json's start script is exec node, MESH_NODE_ARGS and the entry spawnMesh runs", () => {
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson)
      .scripts;
    expect(scripts.start).toBe(`exec node ${[...MESH_NODE_ARGS, MESH_ENTRY].join(' ')}`);
    // pnpm bench runs the local mesh in its own process: with the same heap as pnpm start's.
    expect(scripts.bench).toBe(`node ${MESH_NODE_ARGS.join(' ')} packages/bench/src/cli.ts`);
  });
});

interface PackageJson {
  scripts: Record<string, string>;
}
