/**
 * The kafka:// driver against a real broker: what the runtime relies on from every Transport
 * (topics, sends with offsets, group consumption with awaited assignment, commits, transactions,
 * partition reads), plus what only a real cluster has (mismatched topics, SASL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTopicMismatchError, isTransportError } from '../../src/errors.js';
import { openTransport, partitionForKey } from '../../src/transport/index.js';
import type { ConsumerHandlers, ConsumerRecord, RecordBatch, TopicPartition, Transport } from '../../src/transport/types.js';
import { kafkaUrl, saslBroker, uniqueName, waitFor } from './helpers.js';

let transport: Transport;

beforeAll(async () => {
  transport = await openTransport(kafkaUrl, { clientId: 'transport-test' });
  await transport.connect();
});

afterAll(async () => {
  await transport?.close();
});

const tp = ({ topic, partition }: TopicPartition) => `${topic}[${partition}]`;

/** Handlers that record everything, in the order the driver calls them. */
function recorder() {
  const events: string[] = [];
  const records: ConsumerRecord[] = [];
  const handlers: ConsumerHandlers = {
    async onAssigned(partitions) {
      events.push(`assigned ${partitions.map(tp).sort().join(' ')}`);
    },
    async onRevoked(partitions) {
      events.push(`revoked ${partitions.map(tp).sort().join(' ')}`);
    },
    onBatch(batch: RecordBatch) {
      events.push(`batch ${tp(batch)}`);
      records.push(...batch.records);
    },
  };
  return { events, records, handlers };
}

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

describe('kafka:// admin', () => {
  it('creates topics with their partitions and config, and describes them', async () => {
    const topic = uniqueName('admin-create');
    await transport.admin().createTopics([{ topic, partitions: 3, config: { 'cleanup.policy': 'compact', 'retention.ms': '3600000' } }]);
    const [description] = await transport.admin().describeTopics([topic]);
    expect(description).toMatchObject({ topic, partitions: 3, replicationFactor: 1 });
    expect(description!.config['cleanup.policy']).toBe('compact');
    expect(description!.config['retention.ms']).toBe('3600000');
    expect(await transport.admin().listTopics()).toContain(topic);
    // Creating it again with the same declaration is not an error.
    await transport.admin().createTopics([{ topic, partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
  });

  it('refuses an existing topic whose partition count differs from the declaration', async () => {
    const topic = uniqueName('admin-partitions');
    await transport.admin().createTopics([{ topic, partitions: 2 }]);
    const error = await transport.admin().createTopics([{ topic, partitions: 4 }]).catch((e: unknown) => e);
    expect(isTopicMismatchError(error)).toBe(true);
    expect((error as Error).message).toContain(`Topic ${topic} exists with partitions=2, but the app declares partitions=4`);
  });

  it('refuses an existing topic whose cleanup policy differs from the declaration', async () => {
    const topic = uniqueName('admin-policy');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const error = await transport.admin()
      .createTopics([{ topic, partitions: 1, config: { 'cleanup.policy': 'compact' } }])
      .catch((e: unknown) => e);
    expect(isTopicMismatchError(error)).toBe(true);
    expect((error as Error).message).toMatch(/cleanup\.policy=delete, but the app declares cleanup\.policy=compact/);
  });

  it('names a missing topic when asked to describe it', async () => {
    const topic = uniqueName('admin-missing');
    const error = await transport.admin().describeTopics([topic]).catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toContain(topic);
  });

  it('deletes topics', async () => {
    const topic = uniqueName('admin-delete');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    await transport.admin().deleteTopics([topic]);
    expect(await transport.admin().listTopics()).not.toContain(topic);
  });
});

describe('kafka:// producer', () => {
  it('reports each record’s partition and offset, keyed records on the default partitioner’s partition', async () => {
    const topic = uniqueName('produce');
    await transport.admin().createTopics([{ topic, partitions: 4 }]);
    const producer = transport.producer();
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const metadata = await producer.send(
      topic,
      keys.map((k) => ({ key: Buffer.from(k), value: Buffer.from(`value of ${k}`) })),
    );
    expect(metadata).toHaveLength(40);
    const next = new Map<number, number>();
    metadata.forEach((m, i) => {
      expect(m.partition).toBe(partitionForKey(Buffer.from(keys[i]!), 4));
      expect(Number(m.offset)).toBe(next.get(m.partition) ?? 0);
      next.set(m.partition, Number(m.offset) + 1);
    });
    const offsets = await transport.admin().fetchTopicOffsets(topic);
    expect(offsets.map((o) => Number(o.high))).toEqual([0, 1, 2, 3].map((p) => next.get(p) ?? 0));
    await producer.close();
  });

  it('splits a send larger than a broker request and keeps the order', async () => {
    const topic = uniqueName('produce-large');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const producer = transport.producer();
    const value = Buffer.alloc(10_000, 7);
    const metadata = await producer.send(topic, Array.from({ length: 300 }, (_, i) => ({ key: null, value, partition: 0, headers: { n: String(i) } })));
    expect(metadata.map((m) => Number(m.offset))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    await producer.close();
  });

  it('sends to several topics in one call', async () => {
    const a = uniqueName('batch-a');
    const b = uniqueName('batch-b');
    await transport.admin().createTopics([{ topic: a, partitions: 1 }, { topic: b, partitions: 2 }]);
    const producer = transport.producer();
    const metadata = await producer.sendBatch([
      { topic: a, records: [{ key: null, value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }] },
      { topic: b, records: [{ key: null, value: Buffer.from('3'), partition: 1 }] },
    ]);
    expect(metadata).toEqual([
      { topic: a, partition: 0, offset: '0' },
      { topic: a, partition: 0, offset: '1' },
      { topic: b, partition: 1, offset: '0' },
    ]);
    await producer.close();
  });

  it('rejects a send to a topic that does not exist, naming it', async () => {
    const topic = uniqueName('produce-missing');
    const producer = transport.producer();
    const error = await producer.send(topic, [{ key: null, value: Buffer.from('x') }]).catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toContain(topic);
    await producer.close();
  });
});

describe('kafka:// consumer', () => {
  it('calls onAssigned before any batch, delivers every record with headers and timestamps, and commits what it is told', async () => {
    const topic = uniqueName('consume');
    const groupId = uniqueName('group');
    await transport.admin().createTopics([{ topic, partitions: 2 }]);
    const producer = transport.producer();
    await producer.send(
      topic,
      Array.from({ length: 50 }, (_, i) => ({
        key: Buffer.from(`k${i % 5}`),
        value: Buffer.from(`v${i}`),
        headers: { trace: `t${i}` },
        timestamp: 1_700_000_000_000 + i,
      })),
    );
    const consumer = transport.consumer({ groupId, maxBatchSize: 7 });
    await consumer.subscribe([topic]);
    const { events, records, handlers } = recorder();
    await consumer.run(handlers);
    expect(events[0]).toBe(`assigned ${topic}[0] ${topic}[1]`);
    await waitFor('50 records', () => (records.length >= 50 ? true : undefined));
    expect(records).toHaveLength(50);
    expect(events.filter((e) => e.startsWith('batch')).length).toBeGreaterThanOrEqual(Math.ceil(50 / 7));
    const values = records.map((r) => text(r.value)).sort((x, y) => Number(x!.slice(1)) - Number(y!.slice(1)));
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    for (const r of records) {
      const i = Number(text(r.value)!.slice(1));
      expect(text(r.key)).toBe(`k${i % 5}`);
      expect(text(r.headers.trace as Buffer)).toBe(`t${i}`);
      expect(r.timestamp).toBe(1_700_000_000_000 + i);
    }
    // Offsets within a partition arrive in order.
    for (const partition of [0, 1]) {
      const offsets = records.filter((r) => r.partition === partition).map((r) => Number(r.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    expect(await transport.admin().fetchCommittedOffsets(groupId, topic)).toEqual([]);
    const high = await transport.admin().fetchTopicOffsets(topic);
    await consumer.commit(high.map((o) => ({ topic, partition: o.partition, offset: o.high })));
    expect(await transport.admin().fetchCommittedOffsets(groupId, topic)).toEqual(high.map((o) => ({ topic, partition: o.partition, offset: o.high })));
    await consumer.stop();
    expect(events.at(-1)).toBe(`revoked ${topic}[0] ${topic}[1]`);
    await producer.close();
  });

  it('starts a new member of the group from the committed offsets', async () => {
    const topic = uniqueName('resume');
    const groupId = uniqueName('group');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const producer = transport.producer();
    await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`a${i}`) })));
    const first = transport.consumer({ groupId });
    await first.subscribe([topic]);
    const one = recorder();
    await first.run(one.handlers);
    await waitFor('10 records', () => (one.records.length >= 10 ? true : undefined));
    await first.commit([{ topic, partition: 0, offset: '6' }]);
    await first.stop();
    const second = transport.consumer({ groupId });
    await second.subscribe([topic]);
    const two = recorder();
    await second.run(two.handlers);
    await waitFor('4 records', () => (two.records.length >= 4 ? true : undefined));
    expect(two.records.map((r) => text(r.value))).toEqual(['a6', 'a7', 'a8', 'a9']);
    await second.stop();
    await producer.close();
  });

  it('shares partitions between two members of a group and hands them over through the handlers', async () => {
    const topic = uniqueName('share');
    const groupId = uniqueName('group');
    await transport.admin().createTopics([{ topic, partitions: 4 }]);
    const a = transport.consumer({ groupId });
    await a.subscribe([topic]);
    const ra = recorder();
    await a.run(ra.handlers);
    expect(a.assignment()).toHaveLength(4);
    const b = transport.consumer({ groupId });
    await b.subscribe([topic]);
    const rb = recorder();
    await b.run(rb.handlers);
    await waitFor('a to give up partitions', () => (a.assignment().length < 4 ? true : undefined));
    const all = [...a.assignment(), ...b.assignment()].map(tp).sort();
    expect(all).toEqual([0, 1, 2, 3].map((p) => `${topic}[${p}]`));
    expect(ra.events.some((e) => e.startsWith('revoked'))).toBe(true);
    // Records produced now reach whichever member owns their partition, each exactly once.
    const producer = transport.producer();
    await producer.send(topic, Array.from({ length: 40 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(String(i)) })));
    await waitFor('40 records', () => (ra.records.length + rb.records.length >= 40 ? true : undefined));
    const got = [...ra.records, ...rb.records].map((r) => Number(text(r.value))).sort((x, y) => x - y);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const r of rb.records) expect(b.assignment().map(tp)).toContain(tp(r));
    await b.stop();
    await waitFor('a to take every partition back', () => (a.assignment().length === 4 ? true : undefined));
    await a.stop();
    await producer.close();
  });

  it('holds back a paused partition until it is resumed', async () => {
    const topic = uniqueName('pause');
    const groupId = uniqueName('group');
    await transport.admin().createTopics([{ topic, partitions: 2 }]);
    const consumer = transport.consumer({ groupId });
    await consumer.subscribe([topic]);
    const { records, handlers } = recorder();
    await consumer.run(handlers);
    consumer.pause([{ topic, partition: 0 }]);
    const producer = transport.producer();
    await producer.send(topic, [
      { key: null, value: Buffer.from('p0'), partition: 0 },
      { key: null, value: Buffer.from('p1'), partition: 1 },
    ]);
    await waitFor('the record of partition 1', () => (records.some((r) => r.partition === 1) ? true : undefined));
    // Partition 1's record came through a later fetch than any that could include partition 0's.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(records.filter((r) => r.partition === 0)).toEqual([]);
    consumer.resume([{ topic, partition: 0 }]);
    await waitFor('the record of partition 0', () => (records.some((r) => r.partition === 0) ? true : undefined));
    await consumer.stop();
    await producer.close();
  });

  it('moves the fetch position with seek', async () => {
    const topic = uniqueName('seek');
    const groupId = uniqueName('group');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const producer = transport.producer();
    await producer.send(topic, Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`s${i}`) })));
    const consumer = transport.consumer({ groupId });
    await consumer.subscribe([topic]);
    const { records, handlers } = recorder();
    await consumer.run(handlers);
    await waitFor('5 records', () => (records.length >= 5 ? true : undefined));
    consumer.seek({ topic, partition: 0, offset: '2' });
    await waitFor('3 more records', () => (records.length >= 8 ? true : undefined));
    expect(records.map((r) => text(r.value))).toEqual(['s0', 's1', 's2', 's3', 's4', 's2', 's3', 's4']);
    await consumer.stop();
    await producer.close();
  });

  it('stops the consumer and reports the error when onAssigned rejects', async () => {
    const topic = uniqueName('assign-fails');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const consumer = transport.consumer({ groupId: uniqueName('group') });
    await consumer.subscribe([topic]);
    const errors: Error[] = [];
    const run = consumer.run({
      onAssigned: async () => {
        throw new Error('restore failed');
      },
      onRevoked: async () => {},
      onBatch: () => {},
      onError: (e) => errors.push(e),
    });
    await expect(run).rejects.toThrow('restore failed');
    expect(errors.map((e) => e.message)).toEqual(['restore failed']);
    await consumer.stop();
  });
});

describe('kafka:// transactions', () => {
  it('shows committed transactions to read-committed consumers, never aborted ones, and commits offsets with them', async () => {
    const input = uniqueName('tx-in');
    const output = uniqueName('tx-out');
    const groupId = uniqueName('group');
    await transport.admin().createTopics([{ topic: input, partitions: 1 }, { topic: output, partitions: 1 }]);
    const producer = transport.producer({ transactionalId: uniqueName('tx') });
    const aborted = await producer.transaction();
    await aborted.send(output, [{ key: null, value: Buffer.from('aborted') }]);
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send(output, [{ key: null, value: Buffer.from('committed-1') }, { key: null, value: Buffer.from('committed-2') }]);
    await committed.sendOffsets(groupId, [{ topic: input, partition: 0, offset: '42' }]);
    await committed.commit();
    // The group coordinator applies transactional offsets once the commit markers are written.
    const offsets = await waitFor('the offsets committed with the transaction', async () => {
      const committedOffsets = await transport.admin().fetchCommittedOffsets(groupId, input);
      return committedOffsets.length > 0 ? committedOffsets : undefined;
    });
    expect(offsets).toEqual([{ topic: input, partition: 0, offset: '42' }]);

    const readCommitted = transport.consumer({ groupId: uniqueName('group') });
    await readCommitted.subscribe([output]);
    const rc = recorder();
    await readCommitted.run(rc.handlers);
    const readUncommitted = transport.consumer({ groupId: uniqueName('group'), readCommitted: false });
    await readUncommitted.subscribe([output]);
    const ru = recorder();
    await readUncommitted.run(ru.handlers);
    await waitFor('committed records', () => (rc.records.length >= 2 && ru.records.length >= 3 ? true : undefined));
    expect(rc.records.map((r) => text(r.value))).toEqual(['committed-1', 'committed-2']);
    expect(ru.records.map((r) => text(r.value))).toEqual(['aborted', 'committed-1', 'committed-2']);
    await Promise.all([readCommitted.stop(), readUncommitted.stop(), producer.close()]);
  });

  it('fences a producer when a newer one takes its transactional id', async () => {
    const output = uniqueName('tx-fence');
    await transport.admin().createTopics([{ topic: output, partitions: 1 }]);
    const id = uniqueName('tx');
    const old = transport.producer({ transactionalId: id });
    const transaction = await old.transaction();
    await transaction.send(output, [{ key: null, value: Buffer.from('from the old producer') }]);
    const newer = transport.producer({ transactionalId: id });
    const takeover = await newer.transaction();
    await takeover.send(output, [{ key: null, value: Buffer.from('from the new producer') }]);
    await takeover.commit();
    const error = await transaction.commit().catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toContain(`transactional id ${id} was fenced`);
    const read: string[] = [];
    for await (const records of transport.readPartition(output, 0)) read.push(...records.map((r) => text(r.value)!));
    expect(read).toEqual(['from the new producer']);
    await Promise.all([old.close(), newer.close()]);
  });
});

describe('kafka:// readPartition', () => {
  it('reads one partition from an offset to the end, in order, in bounded arrays, then ends', async () => {
    const topic = uniqueName('read');
    await transport.admin().createTopics([{ topic, partitions: 2 }]);
    const producer = transport.producer();
    await producer.send(topic, Array.from({ length: 120 }, (_, i) => ({ key: null, value: Buffer.from(String(i)), partition: i % 2 })));
    const arrays: (readonly ConsumerRecord[])[] = [];
    for await (const records of transport.readPartition(topic, 1, { from: '10', maxBatchSize: 16 })) arrays.push(records);
    const values = arrays.flat().map((r) => Number(text(r.value)));
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => 2 * (i + 10) + 1));
    expect(Math.max(...arrays.map((a) => a.length))).toBeLessThanOrEqual(16);
    const until: number[] = [];
    for await (const records of transport.readPartition(topic, 0, { until: '5' })) until.push(...records.map((r) => Number(text(r.value))));
    expect(until).toEqual([0, 2, 4, 6, 8]);
    await producer.close();
  });

  it('ends at once on an empty partition and skips aborted transactions', async () => {
    const topic = uniqueName('read-tx');
    await transport.admin().createTopics([{ topic, partitions: 1 }]);
    const empty: ConsumerRecord[] = [];
    for await (const records of transport.readPartition(topic, 0)) empty.push(...records);
    expect(empty).toEqual([]);
    const producer = transport.producer({ transactionalId: uniqueName('tx') });
    const t1 = await producer.transaction();
    await t1.send(topic, [{ key: null, value: Buffer.from('kept') }]);
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send(topic, [{ key: null, value: Buffer.from('dropped') }]);
    await t2.abort();
    const read: string[] = [];
    for await (const records of transport.readPartition(topic, 0)) read.push(...records.map((r) => text(r.value)!));
    expect(read).toEqual(['kept']);
    await producer.close();
  });
});

describe('kafka:// connection settings', () => {
  it('fails to connect with an error naming the address and what to do', async () => {
    const nowhere = await openTransport('kafka://127.0.0.1:1', { clientId: 'nowhere' });
    const error = await nowhere.connect().catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).toContain('scripts/kafka.sh start');
    await nowhere.close();
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('authenticates with SASL %s', async (mechanism) => {
    const secured = await openTransport(`kafka://${saslBroker}`, {
      clientId: 'sasl',
      sasl: { mechanism, username: 'mephisto', password: 'mephisto-secret' },
    });
    await secured.connect();
    const topic = uniqueName(`sasl-${mechanism}`);
    await secured.admin().createTopics([{ topic, partitions: 1 }]);
    const producer = secured.producer();
    const [metadata] = await producer.send(topic, [{ key: null, value: Buffer.from('over SASL') }]);
    expect(metadata).toEqual({ topic, partition: 0, offset: '0' });
    await secured.close();
  });

  it('refuses a wrong SASL password without showing it', async () => {
    const secured = await openTransport(`kafka://${saslBroker}`, {
      clientId: 'sasl-wrong',
      sasl: { mechanism: 'scram-sha-256', username: 'mephisto', password: 'not-the-password' },
    });
    const error = await secured.connect().catch((e: unknown) => e);
    expect(isTransportError(error)).toBe(true);
    expect((error as Error).message).toMatch(/SASL/);
    expect((error as Error).message).not.toContain('not-the-password');
    await secured.close();
  });

  it('takes SASL settings from the environment', async () => {
    const { kafkaSettings } = await import('../../src/transport/kafka/index.js');
    const settings = kafkaSettings(`kafka://${saslBroker}`, {}, {
      MEPHISTO_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      MEPHISTO_KAFKA_SASL_USERNAME: 'mephisto',
      MEPHISTO_KAFKA_SASL_PASSWORD: 'mephisto-secret',
    });
    expect(settings.client.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'mephisto', password: 'mephisto-secret' });
  });
});
