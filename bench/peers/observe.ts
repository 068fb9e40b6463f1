/**
 * Watches a contender from outside, the same way for every contender: the growth of the topic it
 * writes (output or changelog) tells when it processed its first and last events, its consumer
 * group's committed offsets tell when it has consumed all input, and reading the topic back tells
 * whether what it wrote is right.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export async function topicEnd(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(BigInt(o.high) - BigInt(o.low)), 0);
}

export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await admin.listTopics()).includes(topic);
}

/** True when the group has committed, on every partition of `topic`, the offset `ends` gives. */
export async function committedToEnd(admin: Admin, group: string, topic: string, ends: ReadonlyMap<number, bigint>): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  if (!committed) return false;
  return committed.partitions.every((p) => BigInt(p.offset) >= (ends.get(p.partition) ?? 0n));
}

/** True once the group has members with partitions assigned (a finished rebalance). */
export async function groupStable(admin: Admin, group: string): Promise<boolean> {
  const { groups } = await admin.describeGroups([group]);
  const described = groups[0];
  return described !== undefined && described.state === 'Stable' && described.members.length > 0;
}

export interface Progress {
  /** Records the contender wrote. */
  readonly written: number;
  /** Epoch millis when the contender's consumer group became stable (it was assigned its partitions). */
  readonly assignedMs: number;
  /** Epoch millis when the written topic first grew, and when it last grew. */
  readonly firstMs: number;
  readonly lastMs: number;
  /** False when the contender stalled (or died) before finishing. */
  readonly finished: boolean;
}

export interface WatchOptions {
  readonly admin: Admin;
  /** The topic the contender writes; it may not exist yet when watching starts. */
  readonly topic: string;
  /** Finished as soon as this returns true (given the records written so far and when the last was seen). */
  readonly done: (written: number, lastMs: number) => Promise<boolean> | boolean;
  /** Give up when nothing was written for this long (after the first record). */
  readonly stallMs: number;
  /** Give up when nothing at all was written after this long. */
  readonly startMs: number;
  /** Called every poll; a rejection ends the watch (e.g. the contender process exited). */
  readonly alive: () => void;
  /** The contender's consumer group. */
  readonly group: string;
  /**
   * Polling interval; by default 50 ms, growing to one thousandth of the time watched so far (at
   * most 500 ms): `lastMs` is late by at most one interval (50 ms, or 0.1% of a long run), and a
   * run of minutes (Faust's) does not share the machine with a poll of the broker every 50 ms.
   */
  readonly pollMs?: number;
}

/** Polls the written topic's size until `done`, a stall, or a dead contender. */
export async function watchProgress(options: WatchOptions): Promise<Progress> {
  const began = Date.now();
  const pollMs = () => options.pollMs ?? Math.min(500, Math.max(50, (Date.now() - began) / 1000));
  let written = 0;
  let assignedMs = 0;
  let firstMs = 0;
  let lastMs = 0;
  for (;;) {
    options.alive();
    if (assignedMs === 0) {
      try {
        if (await groupStable(options.admin, options.group)) assignedMs = Date.now();
      } catch {
        // the coordinator may not know the group yet
      }
    }
    let size = written;
    try {
      if (firstMs > 0 || (await topicExists(options.admin, options.topic))) size = await topicSize(options.admin, options.topic);
    } catch {
      // a topic just created may have no leader yet: ask again at the next poll
    }
    const now = Date.now();
    if (size > written) {
      if (firstMs === 0) firstMs = now;
      lastMs = now;
      written = size;
    }
    if (written > 0 && (await options.done(written, lastMs))) return { written, assignedMs: assignedMs || firstMs, firstMs, lastMs, finished: true };
    if (firstMs === 0 ? now - began > options.startMs : now - lastMs > options.stallMs) {
      return { written, assignedMs: assignedMs || firstMs, firstMs, lastMs, finished: false };
    }
    await sleep(pollMs());
  }
}

/** Reads a whole topic, up to its end as of now, calling `each` for every record. */
export async function readTopic(kafka: Kafka, topic: string, each: (message: KafkaMessage, partition: number) => void): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await topicEnd(admin, topic);
  const starts = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.low)]));
  await admin.disconnect();
  const remaining = new Set([...ends].filter(([p, end]) => end > (starts.get(p) ?? 0n)).map(([p]) => p));
  if (remaining.size === 0) return 0;
  const consumer = kafka.consumer({ groupId: `peers-reader-${process.pid}-${Date.now()}`, maxBytesPerPartition: 4_194_304 });
  let read = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end) break;
              each(message, batch.partition);
              read++;
            }
            // lastOffset() counts control records and filtered messages too
            if (BigInt(batch.lastOffset()) + 1n >= end) {
              remaining.delete(batch.partition);
              if (remaining.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}
