import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the `source` condition,
// so tests run against src/ without a build step (the same condition `pnpm start` uses).
export default defineConfig({
  resolve: { conditions: ['source', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['source', 'node', 'import', 'default'] } },
  test: {
    include: ['{apps,packages}/**/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
