/**
 * Reading one partition from an offset to an end, outside the app's consumer group: how tables
 * rebuild their state from a changelog.
 *
 * kafkajs has no manual partition assignment (a consumer always joins a group), so the read runs a
 * consumer in a group of its own, with an assigner that gives it only the wanted partition, and
 * leaves once the end is reached. It reads committed records only: data of aborted transactions
 * never reaches a table.
 */
import { randomUUID } from 'node:crypto';
import kafkajs, { type Kafka, type PartitionAssigner } from 'kafkajs';
import { TransportError } from '../../errors.js';
import type { ConsumerRecord, PartitionReadOptions, RecordHeaders } from '../types.js';
import type { KafkaAdmin } from './admin.js';
import { toTransportError } from './errors.js';

const { AssignerProtocol } = kafkajs;

const READER_PROTOCOL = 'mephisto-partition-reader';

/** Assigns the one partition to the group's only member. */
function onePartition(topic: string, partition: number): PartitionAssigner {
  return () => ({
    name: READER_PROTOCOL,
    version: 1,
    async assign({ members }) {
      return members.map((member, index) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: index === 0 ? { [topic]: [partition] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return { name: READER_PROTOCOL, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

function toHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): RecordHeaders {
  const out: Record<string, Buffer> = {};
  for (const name in headers ?? {}) {
    let value = headers![name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value !== undefined) out[name] = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }
  return out;
}

export async function* readPartition(
  kafka: Kafka,
  admin: KafkaAdmin,
  brokers: readonly string[],
  topic: string,
  partition: number,
  options: PartitionReadOptions = {},
): AsyncGenerator<readonly ConsumerRecord[]> {
  const where = { topic, partition };
  const offsets = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
  if (offsets === undefined) throw new TransportError('readPartition', 'the partition does not exist', where);
  // `high` is the last stable offset here (the admin lists offsets read-committed).
  const from = BigInt(options.from ?? offsets.low) < BigInt(offsets.low) ? BigInt(offsets.low) : BigInt(options.from ?? offsets.low);
  const until = options.until === undefined ? BigInt(offsets.high) : BigInt(options.until) < BigInt(offsets.high) ? BigInt(options.until) : BigInt(offsets.high);
  if (from >= until) return;
  const maxBatch = options.maxBatchSize ?? 1000;

  const queue: ConsumerRecord[][] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  let position = from;
  const advance = (next: bigint) => {
    if (next > position) position = next;
    if (position >= until) {
      done = true;
      signal();
    }
  };

  const consumer = kafka.consumer({
    groupId: `mephisto-reader-${randomUUID()}`,
    partitionAssigners: [onePartition(topic, partition)],
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // Also reported for batches that held only control records or aborted data.
    if (payload.topic === topic && payload.partition === partition && payload.lastOffset !== null) advance(BigInt(payload.lastOffset) + 1n);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      failure = payload.error;
      signal();
    }
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (done || batch.topic !== topic || batch.partition !== partition) return;
        const records: ConsumerRecord[] = [];
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < position) continue;
          if (offset >= until) break;
          records.push({
            topic,
            partition,
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: toHeaders(m.headers),
            timestamp: Number(m.timestamp),
          });
        }
        for (let i = 0; i < records.length; i += maxBatch) queue.push(records.slice(i, i + maxBatch));
        if (records.length > 0) position = BigInt(records[records.length - 1]!.offset) + 1n;
        advance(BigInt(batch.lastOffset()) + 1n);
        signal();
        // Back-pressure: hold the fetch loop while the reader has not taken what it was given.
        while (queue.length > 4 && !done) await new Promise<void>((resolve) => (drained = resolve));
      },
    });
    if (from > BigInt(offsets.low)) consumer.seek({ topic, partition, offset: from.toString() });
    for (;;) {
      while (queue.length > 0) {
        yield queue.shift()!;
        drained?.();
        drained = undefined;
      }
      if (failure !== undefined) throw toTransportError('readPartition', failure, brokers, where);
      if (done && queue.length === 0) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    done = true;
    drained?.();
    await consumer.disconnect().catch(() => {});
  }
}
