import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of sibling packages, not their dist.
    alias: [
      { find: /^@coldfix\/(io|disk-image|partitions|bitlocker|ntfs|volumes|repair|batch)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@coldfix\/test-images$/, replacement: `${root}test-images/src/index.ts` },
      { find: /^@coldfix\/test-support$/, replacement: `${root}test-support/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'cli/test/**/*.test.ts', 'test-images/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
    // A test that makes no assertion fails (docs/testing.md); the setup file records each test's count
    // and the reporter prints how many passing tests made none, and every skipped test with its reason.
    expect: { requireAssertions: true },
    setupFiles: [`${root}test-support/setup.ts`],
    // Tests that run compiled code (cli/dist, workers in dist/) see the current sources.
    globalSetup: [`${root}test-support/global-setup.ts`],
    reporters: ['default', `${root}test-support/assertion-reporter.ts`],
  },
});
