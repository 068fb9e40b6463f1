/**
 * Back-pressure on a real broker: the kafka:// consumer hands the runtime no more records than
 * the runtime's buffers hold (bufferSize per agent instance) plus the chunk being delivered; a slow
 * agent makes the consumer stop fetching rather than pile up fetched-but-unprocessed batches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { memoryLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { openTransport } from '../../src/transport/index.js';
import type { Consumer, ConsumerHandlers, Transport } from '../../src/transport/types.js';
import { kafkaUrl, rawKafka, uniqueName, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** The kafka:// transport, counting the records its consumers hand to the runtime. */
function countingTransport(inner: Transport, delivered: { records: number }): Transport {
  const wrapConsumer = (consumer: Consumer): Consumer =>
    new Proxy(consumer, {
      get(target, property) {
        if (property === 'run') {
          return (handlers: ConsumerHandlers) =>
            target.run({
              ...handlers,
              onBatch: (batch) => {
                delivered.records += batch.records.length;
                return handlers.onBatch(batch);
              },
            });
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'consumer') return (options: Parameters<Transport['consumer']>[0]) => wrapConsumer(target.consumer(options));
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('kafka:// back-pressure', () => {
  it('regression: a slow agent bounds fetched-but-unprocessed records by the runtime buffer (partitions paused), not by the topic size', async () => {
    const RECORDS = 20_000;
    const PARTITIONS = 2;
    const bufferSize = 200;
    const maxBatchSize = 100;
    const topic = defineTopic({ name: uniqueName('slow-input'), key: codecs.string, value: codecs.string, partitions: PARTITIONS });

    const admin = rawKafka().admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: topic.name, numPartitions: PARTITIONS }], waitForLeaders: true });
    const producer = rawKafka().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    for (let sent = 0; sent < RECORDS; sent += 5_000) {
      await producer.send({ topic: topic.name, messages: Array.from({ length: 5_000 }, (_, i) => ({ key: `k${(sent + i) % 50}`, value: `v${sent + i}` })) });
    }

    const delivered = { records: 0 };
    const inner = await openTransport(kafkaUrl, { clientId: 'backpressure-test' });
    cleanups.push(() => inner.close());
    const app = new App(uniqueName('slow'), { broker: countingTransport(inner, delivered), logger: memoryLogger(), bufferSize, maxBatchSize, commitInterval: 200 });
    cleanups.push(() => app.stop());
    let processed = 0;
    let mostAhead = 0;
    app.agent(app.topic(topic), async function slow(stream) {
      for await (const value of stream) {
        void value;
        processed++;
        mostAhead = Math.max(mostAhead, delivered.records - processed);
        // ~1 s for the whole topic: much slower than the broker can hand out records.
        if (processed % 200 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    await app.start();
    await waitFor('every record processed', () => (processed === RECORDS ? true : undefined), 90_000);

    expect(delivered.records).toBe(RECORDS);
    // One instance's buffer, plus a chunk in delivery per partition: nowhere near the 1 MiB
    // per partition that one fetch returns (all 20,000 records here).
    expect(mostAhead).toBeLessThanOrEqual(bufferSize + PARTITIONS * maxBatchSize);
    expect(mostAhead).toBeGreaterThan(0);
  });
});
