import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/kafka/**', 'node_modules/**'],
    // test/kafka needs a real broker (`npm run test:kafka`); this says so at the end of the run.
    globalSetup: ['test/kafka/not-run-notice.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
