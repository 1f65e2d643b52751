import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at once, on two cores too: most files wait on their local runtime, workflows or
    // browser rather than compute, and the suite takes about 6 minutes instead of 10.
    maxWorkers: 2,
  },
});
