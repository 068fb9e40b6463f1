/**
 * A broker restart under a running consumer and producer: both retry with backoff, log what
 * happens, and carry on; nothing stops silently. Runs only against the local broker of
 * scripts/kafka.sh (MEPHISTO_KAFKA_LOCAL=1, set by scripts/with-kafka.sh), which it restarts.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/logging.js';
import { openTransport } from '../../src/transport/index.js';
import type { ConsumerRecord } from '../../src/transport/types.js';
import { brokers, kafkaUrl, uniqueName, waitFor } from './helpers.js';

const kafkaScript = fileURLToPath(new URL('../../scripts/kafka.sh', import.meta.url));
const port = brokers[0]!.split(':')[1]!;
const script = (command: string, env: Record<string, string> = {}) =>
  execFileSync('bash', [kafkaScript, command], { env: { ...process.env, MEPHISTO_KAFKA_PORT: port, ...env }, stdio: 'pipe' });

describe.runIf(process.env.MEPHISTO_KAFKA_LOCAL === '1')('a broker restart', () => {
  it('is retried and logged by the consumer and the producer, which then go on', async () => {
    const logger = memoryLogger();
    const t = await openTransport(kafkaUrl, { clientId: 'restart-test', logger });
    const topic = uniqueName('restart');
    await t.admin().createTopics([{ topic, partitions: 1 }]);
    const producer = t.producer();
    const consumer = t.consumer({ groupId: uniqueName('group') });
    await consumer.subscribe([topic]);
    const seen: ConsumerRecord[] = [];
    const errors: Error[] = [];
    await consumer.run({ onAssigned: async () => {}, onRevoked: async () => {}, onBatch: (b) => void seen.push(...b.records), onError: (e) => errors.push(e) });
    const send = (from: number) => producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(from + i)) })));
    try {
      await send(0);
      await waitFor('the first ten', () => (seen.length >= 10 ? true : undefined));
      await consumer.commit([{ topic, partition: 0, offset: '10' }]);
      script('stop');
      // The producer retries until the broker is back.
      const sending = send(10);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      script('start', { MEPHISTO_KAFKA_KEEP_DATA: '1' });
      await sending;
      await waitFor('the ten sent across the restart', () => (new Set(seen.map((r) => r.value!.toString())).size >= 20 ? true : undefined), 120_000);
    } finally {
      // Leave a running broker for the tests after this one, whatever happened.
      script('start', { MEPHISTO_KAFKA_KEEP_DATA: '1' });
    }
    expect([...new Set(seen.map((r) => Number(r.value!.toString())))].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(errors).toEqual([]);
    const retries = logger.entries.filter((e) => (e.level === 'warn' || e.level === 'error') && /kafkajs|consumer/.test(e.message));
    expect(retries.length).toBeGreaterThan(0);
    await t.close();
  });
});
