import { defineConfig } from 'vitest/config';

/**
 * The Kafka suite: tests against a real broker and a real Schema Registry. Run it with
 * `npm run test:kafka`, which starts both (scripts/kafka.sh, scripts/registry.sh) when needed and
 * passes their addresses in MEPHISTO_KAFKA_BROKERS and MEPHISTO_REGISTRY_URL.
 */
export default defineConfig({
  test: {
    include: ['test/kafka/**/*.test.ts'],
    globalSetup: ['test/kafka/global-setup.ts'],
    // Consumer groups rebalance and sessions expire in seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time: the files share one broker and this machine has two cores.
    fileParallelism: false,
  },
});
