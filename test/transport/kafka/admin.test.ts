/**
 * The kafka:// admin's retries, against a stand-in for the kafkajs admin (no broker): errors are
 * shaped as kafkajs throws them (a KafkaJSProtocolError with `type`, possibly wrapped in `cause`).
 */
import type { Admin as KafkajsAdmin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isTransportError } from '../../../src/errors.js';
import { memoryLogger } from '../../../src/logging.js';
import { KafkaAdmin } from '../../../src/transport/kafka/admin.js';

const fastRetry = { retries: 4, initialMs: 1, maxMs: 4 };

function protocolError(type: string): Error {
  return Object.assign(new Error(`broker said ${type}`), { name: 'KafkaJSProtocolError', type, retriable: true });
}

/** A kafkajs admin whose `fetchTopicOffsets` fails with `failures` first, then answers. */
function flakyAdmin(failures: Error[]): { admin: KafkajsAdmin; calls: () => number } {
  let calls = 0;
  const admin = {
    fetchTopicOffsets: async (topic: string) => {
      calls++;
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return [
        { partition: 1, offset: '5', high: '5', low: '0' },
        { partition: 0, offset: '7', high: '7', low: '2' },
      ].map((o) => ({ ...o, topic }));
    },
    listTopics: async () => ['fresh'],
    describeCluster: async () => ({ brokers: [{ nodeId: 1, host: 'fake', port: 9092 }], controller: 1, clusterId: 'fake' }),
    createTopics: async () => true,
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }] })),
    }),
  };
  return { admin: admin as unknown as KafkajsAdmin, calls: () => calls };
}

describe('KafkaAdmin retries', () => {
  it('regression: NOT_LEADER_FOR_PARTITION right after a topic was created does not stop the worker (retried with backoff, logged)', async () => {
    const { admin, calls } = flakyAdmin([protocolError('NOT_LEADER_FOR_PARTITION'), protocolError('LEADER_NOT_AVAILABLE')]);
    const logger = memoryLogger();
    const kafkaAdmin = new KafkaAdmin(async () => admin, ['fake:9092'], logger, fastRetry);
    const offsets = await kafkaAdmin.fetchTopicOffsets('fresh');
    expect(offsets).toEqual([
      { partition: 0, low: '2', high: '7' },
      { partition: 1, low: '0', high: '5' },
    ]);
    expect(calls()).toBe(3);
    const warnings = logger.entries.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.message).toContain('fetchTopicOffsets');
    expect(warnings[0]!.fields).toMatchObject({ topic: 'fresh', attempt: 1 });
  });

  it('sees the error type through kafkajs wrappers (cause chain)', async () => {
    const wrapped = Object.assign(new Error('Number of retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: protocolError('NOT_LEADER_FOR_PARTITION') });
    const { admin, calls } = flakyAdmin([wrapped]);
    await new KafkaAdmin(async () => admin, ['fake:9092'], memoryLogger(), fastRetry).fetchTopicOffsets('fresh');
    expect(calls()).toBe(2);
  });

  it('retries UNKNOWN_TOPIC_OR_PARTITION only for a topic it has just created', async () => {
    const unknown = () => protocolError('UNKNOWN_TOPIC_OR_PARTITION');

    const cold = flakyAdmin([unknown()]);
    const error = await new KafkaAdmin(async () => cold.admin, ['fake:9092'], memoryLogger(), fastRetry).fetchTopicOffsets('other').catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    expect(cold.calls()).toBe(1);

    const fresh = flakyAdmin([unknown(), unknown()]);
    const kafkaAdmin = new KafkaAdmin(async () => fresh.admin, ['fake:9092'], memoryLogger(), fastRetry);
    // listTopics says 'fresh' exists, so declare a missing one to make this admin create it.
    await kafkaAdmin.createTopics([{ topic: 'created-now', partitions: 1 }]);
    await kafkaAdmin.fetchTopicOffsets('created-now');
    expect(fresh.calls()).toBe(3);
  });

  it('gives up after its retries with a TransportError naming the topic', async () => {
    const { admin, calls } = flakyAdmin(Array.from({ length: 10 }, () => protocolError('LEADER_NOT_AVAILABLE')));
    const error = await new KafkaAdmin(async () => admin, ['fake:9092'], memoryLogger(), fastRetry).fetchTopicOffsets('stuck').catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toMatch(/stuck/);
    expect(calls()).toBe(fastRetry.retries + 1);
  });

  it('does not retry errors that a retry cannot change', async () => {
    const { admin, calls } = flakyAdmin([protocolError('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(new KafkaAdmin(async () => admin, ['fake:9092'], memoryLogger(), fastRetry).fetchTopicOffsets('secret')).rejects.toThrow(/TOPIC_AUTHORIZATION_FAILED/);
    expect(calls()).toBe(1);
  });
});
