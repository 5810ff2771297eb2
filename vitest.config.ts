import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Every test runs the real expression checker and writes nothing to the user's cache folder
    // (test/project/expression-cache.test.ts opens caches in temp folders of its own).
    env: { OUTFLOW_CACHE_DIR: 'off' },
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});
