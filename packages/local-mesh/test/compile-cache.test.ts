import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { compileCacheEnv } from '../src/compile-cache.ts';

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
