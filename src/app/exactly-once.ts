/**
 * Exactly-once processing (settings `processingGuarantee: 'exactly_once'`), in the spirit of Kafka
 * Streams' first exactly-once mode and Faust's transaction manager: one transactional producer per
 * source partition this worker owns, with the stable id `<app>-<topic>-<partition>`, so that the
 * next owner of a partition fences the previous one (a zombie after a SIGKILL, a long pause, a
 * rebalance it did not hear of). kafkajs cannot fence by consumer-group generation (KIP-447), so
 * the id per partition is what makes it safe.
 *
 * While a handler processes an event of partition P, what it sends (yields to sinks, topic.send,
 * dead letters, replies) is held in P's unit, tagged with the event's offset; table changelog
 * records of partition P join the unit at commit (`changelogProducer`). Committing P at offset O
 * sends in ONE transaction: the held records of events before O, the changelog records, and O as
 * the group's offset. Records of events at or after O stay for the next commit (those events are
 * in progress). A read_committed reader sees all of a transaction or nothing of it.
 *
 * What stays at-least-once: sends made outside any event (timers, tasks, code outside agents).
 * A transaction fenced by a newer owner is discarded and its unit goes silent until the partition
 * is revoked (the new owner redoes the work); any other failed transaction stops the worker with an
 * ExactlyOnceError, since its in-memory table state may hold discarded writes. Tables rebuild a
 * partition from the changelog on every assignment under exactly_once, for the same reason.
 */
import { ExactlyOnceError } from '../errors.js';
import type { Logger } from '../logging.js';
import type {
  Producer,
  ProducerRecord,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
  TopicRecords,
  Transport,
} from '../transport/types.js';

interface Held {
  /** Offset of the source event whose processing sent the record. */
  readonly offset: number;
  readonly topic: string;
  readonly record: ProducerRecord;
}

interface Unit extends TopicPartition {
  readonly transactionalId: string;
  readonly producer: Producer;
  held: Held[];
  changelog: TopicRecords[];
  /** The offset last committed by this unit (-1: none yet). */
  committed: number;
  /** Fenced by a newer owner, or its transaction failed: it drops everything until revoked. */
  fenced: boolean;
}

const unitKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Whether a transport error says that a newer producer took the transactional id over. */
const isFenced = (error: unknown): boolean => {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (/fenced/i.test(e.message) || /fenced/i.test(e.name)) return true;
  return false;
};

export class ExactlyOnce {
  readonly #units = new Map<string, Unit>();
  /** Units by partition number (for changelog records, which name only their partition). */
  readonly #byPartition = new Map<number, Unit[]>();

  constructor(
    readonly appId: string,
    readonly groupId: string,
    readonly transport: Transport,
    readonly logger: Logger,
  ) {}

  transactionalId(topic: string, partition: number): string {
    return `${this.appId}-${topic}-${partition}`;
  }

  /** Partitions held, for tests and logs. */
  get partitions(): readonly TopicPartition[] {
    return [...this.#units.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Takes the transactional ids of newly assigned partitions over: starting the producer fences
   * the previous owner, and an empty transaction begun and aborted makes sure that happened (and
   * that the broker aborted the transaction the previous owner left open) BEFORE tables restore
   * from their changelogs and events are processed.
   */
  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    await Promise.all(
      partitions.map(async ({ topic, partition }) => {
        if (this.#units.has(unitKey(topic, partition))) return;
        const transactionalId = this.transactionalId(topic, partition);
        const producer = this.transport.producer({ transactionalId });
        try {
          const transaction = await producer.transaction();
          await transaction.abort();
        } catch (error) {
          await producer.close().catch(() => {});
          throw new ExactlyOnceError({ topic, partition, transactionalId }, 'could not take the transactional id over', { cause: error });
        }
        const unit: Unit = { topic, partition, transactionalId, producer, held: [], changelog: [], committed: -1, fenced: false };
        this.#units.set(unitKey(topic, partition), unit);
        let list = this.#byPartition.get(partition);
        if (list === undefined) this.#byPartition.set(partition, (list = []));
        list.push(unit);
      }),
    );
  }

  /** After the revocation commit: releases the units (and their producers) of these partitions. */
  async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    const units: Unit[] = [];
    for (const { topic, partition } of partitions) {
      const unit = this.#units.get(unitKey(topic, partition));
      if (unit === undefined) continue;
      this.#units.delete(unitKey(topic, partition));
      const list = this.#byPartition.get(partition)?.filter((u) => u !== unit) ?? [];
      if (list.length === 0) this.#byPartition.delete(partition);
      else this.#byPartition.set(partition, list);
      units.push(unit);
    }
    await Promise.all(units.map((unit) => unit.producer.close().catch((error: unknown) => this.logger.warn('exactly-once producer did not close cleanly', { transactionalId: unit.transactionalId, error }))));
  }

  /** Closes every unit (worker stop, after the last commit). */
  close(): Promise<void> {
    return this.revoke(this.partitions);
  }

  /**
   * Holds a record sent while processing the event at `offset` of `source`; it goes to the broker
   * with the transaction that commits that event. Records of partitions this worker does not
   * hold (revoked, fenced) are dropped: the partition's owner produces them when it processes the
   * event.
   */
  hold(source: TopicPartition, offset: number, topic: string, record: ProducerRecord): void {
    const unit = this.#units.get(unitKey(source.topic, source.partition));
    if (unit === undefined || unit.fenced) {
      this.logger.debug('exactly-once: send of an event of a partition this worker no longer holds dropped', { source: `${source.topic}[${source.partition}]@${offset}`, topic });
      return;
    }
    unit.held.push({ offset, topic, record });
  }

  /**
   * The producer tables write their changelogs with: its records (each naming its partition) join
   * the next transaction of the source partition with the same number (of topic `source` when
   * given). It resolves at once; the reported offsets are `-1` (the records have none until their
   * transaction commits), so a table under exactly_once never trusts its local checkpoint.
   */
  changelogProducer(source: string | undefined): Producer {
    const add = (batches: readonly TopicRecords[]): RecordMetadata[] => {
      const metadata: RecordMetadata[] = [];
      for (const { topic, records } of batches) {
        const byUnit = new Map<Unit, ProducerRecord[]>();
        for (const record of records) {
          const partition = record.partition ?? -1;
          metadata.push({ topic, partition, offset: '-1' });
          const unit = this.#byPartition.get(partition)?.find((u) => source === undefined || u.topic === source);
          if (unit === undefined || unit.fenced) continue;
          let list = byUnit.get(unit);
          if (list === undefined) byUnit.set(unit, (list = []));
          list.push(record);
        }
        for (const [unit, list] of byUnit) unit.changelog.push({ topic, records: list });
      }
      return metadata;
    };
    return {
      send: async (topic, records) => add([{ topic, records }]),
      sendBatch: async (batches) => add(batches),
      transaction: () => Promise.reject(new Error('the exactly-once changelog producer has no transactions of its own')),
      close: async () => {},
    };
  }

  /**
   * Commits every unit with something to commit, each in its own transaction, in parallel.
   * `positions`: the next offset to read of every partition with processed events (as the runtime
   * takes them before `beforeCommit`). Rejects with an ExactlyOnceError when a transaction failed
   * for another reason than fencing.
   */
  async commit(positions: readonly TopicPartitionOffset[]): Promise<void> {
    const upTo = new Map<Unit, number>();
    for (const { topic, partition, offset } of positions) {
      const unit = this.#units.get(unitKey(topic, partition));
      if (unit !== undefined) upTo.set(unit, Number(offset));
    }
    const failures: unknown[] = [];
    await Promise.all(
      [...this.#units.values()].map((unit) =>
        this.#commitUnit(unit, upTo.get(unit) ?? unit.committed).catch((error: unknown) => {
          failures.push(error);
        }),
      ),
    );
    if (failures.length > 0) throw failures[0];
  }

  async #commitUnit(unit: Unit, upTo: number): Promise<void> {
    if (unit.fenced) return;
    const ready: Held[] = [];
    const later: Held[] = [];
    for (const held of unit.held) (held.offset < upTo ? ready : later).push(held);
    const changelog = unit.changelog;
    const moved = upTo > unit.committed;
    if (!moved && ready.length === 0 && changelog.length === 0) return;
    unit.held = later;
    unit.changelog = [];
    const { topic, partition, transactionalId } = unit;
    let transaction;
    try {
      transaction = await unit.producer.transaction();
      // Runs of records to one topic, in the order they were sent.
      let run: ProducerRecord[] = [];
      let runTopic: string | undefined;
      for (const held of ready) {
        if (held.topic !== runTopic && run.length > 0) {
          await transaction.send(runTopic!, run);
          run = [];
        }
        runTopic = held.topic;
        run.push(held.record);
      }
      if (run.length > 0) await transaction.send(runTopic!, run);
      for (const batch of changelog) await transaction.send(batch.topic, batch.records);
      if (moved) await transaction.sendOffsets(this.groupId, [{ topic, partition, offset: String(upTo) }]);
      await transaction.commit();
    } catch (error) {
      await transaction?.abort().catch(() => {});
      // The unit's records of this transaction are gone: it must never commit an offset past them.
      unit.fenced = true;
      unit.held = [];
      if (isFenced(error)) {
        this.logger.warn('exactly-once: a newer owner of the partition fenced this worker; its transaction is discarded and the new owner processes the partition', {
          transactionalId,
          partition: `${topic}[${partition}]`,
        });
        return;
      }
      throw new ExactlyOnceError({ topic, partition, transactionalId }, error instanceof Error ? error.message : String(error), { cause: error });
    }
    if (moved) unit.committed = upTo;
  }
}
