/**
 * The Consumer of the kafka:// driver: a kafkajs consumer group member with batch fetches
 * (eachBatch, nothing resolved or committed by kafkajs on its own), the runtime's handlers awaited
 * around every assignment change, and commits of exactly what the runtime says.
 *
 * kafkajs has no rebalance listener. When a heartbeat inside a batch reports a rebalance, every
 * partition is revoked there, before kafkajs rejoins (its commits still count). Otherwise (an idle
 * member, a crash) assignment changes are learned from the GROUP_JOIN event: partitions lost are
 * handed to `onRevoked` (after their in-flight batches settle) and partitions gained to
 * `onAssigned`, in that order and one change at a time. No batch of a gained partition is delivered
 * before its `onAssigned` has resolved. A late revocation's commit for a partition that moved is
 * refused by the broker and logged (the new owner re-reads from the last commit: at-least-once);
 * under exactly-once the new owner's transactional producer fences the old one, so nothing is
 * written twice.
 */
import type { Consumer as KafkajsConsumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { TransportError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type {
  Consumer,
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerRecord,
  RecordHeaders,
  TopicPartition,
  TopicPartitionOffset,
} from '../types.js';
import type { KafkaTuning } from './config.js';
import { isRebalanceError, toTransportError } from './errors.js';

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Settles once `onAssigned` has resolved for this partition. */
  ready: Promise<void>;
  isReady: boolean;
  /** The next offset to deliver; earlier records fetched again (after a rebalance) are dropped. */
  position: bigint | undefined;
  /** The delivery of this partition's current batch, if any. */
  inFlight: Promise<void> | undefined;
  revoked: boolean;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const EMPTY_HEADERS: RecordHeaders = Object.freeze({});

function toHeaders(headers: KafkaMessage['headers']): RecordHeaders {
  if (headers === undefined) return EMPTY_HEADERS;
  let out: Record<string, Buffer> | undefined;
  for (const name in headers) {
    let value = headers[name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    out ??= {};
    out[name] = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }
  return out ?? EMPTY_HEADERS;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class KafkaConsumer implements Consumer {
  readonly #topics = new Set<string>();
  readonly #states = new Map<string, PartitionState>();
  readonly #paused = new Set<string>();
  readonly #maxBatch: number;
  #consumer: KafkajsConsumer | undefined;
  #handlers: ConsumerHandlers | undefined;
  /** Assignment changes, run one after another. */
  #changes: Promise<void> = Promise.resolve();
  #firstAssignment: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  #stopping: Promise<void> | undefined;
  #revoking: Promise<void> | undefined;
  #failed = false;

  constructor(
    readonly kafka: Kafka,
    readonly options: ConsumerOptions,
    readonly tuning: KafkaTuning,
    readonly brokers: readonly string[],
    readonly logger: Logger,
  ) {
    this.#maxBatch = options.maxBatchSize ?? 1000;
  }

  assignment(): readonly TopicPartition[] {
    return [...this.#states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    const added = topics.filter((t) => !this.#topics.has(t));
    if (added.length === 0) return;
    for (const topic of added) this.#topics.add(topic);
    if (this.#consumer !== undefined && this.#stopping === undefined) {
      // kafkajs cannot change a running subscription: leave and join again with every topic.
      await this.#leave();
      await this.#join();
    }
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    if (this.#handlers !== undefined) throw new TransportError('run', 'the consumer is already running');
    if (this.#stopping !== undefined) throw new TransportError('run', 'the consumer was stopped; create a new one');
    if (this.#topics.size === 0) throw new TransportError('run', 'subscribe to at least one topic before run');
    this.#handlers = handlers;
    await this.#join();
  }

  /** Starts a kafkajs consumer for the subscription; resolves after its first assignment was handled. */
  async #join(): Promise<void> {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.#firstAssignment = { promise, resolve, reject };
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.tuning.sessionTimeout,
      rebalanceTimeout: this.tuning.rebalanceTimeout,
      heartbeatInterval: this.tuning.heartbeatInterval,
      maxWaitTimeInMs: this.tuning.maxWaitTime,
      maxBytesPerPartition: this.tuning.maxBytesPerPartition,
      readUncommitted: this.options.readCommitted === false,
      allowAutoTopicCreation: false,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (this.#consumer === consumer) this.#assignmentChanged(payload.memberAssignment);
    });
    consumer.on(consumer.events.REBALANCING, ({ payload }) => {
      this.logger.info('consumer group is rebalancing', { groupId: payload.groupId });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#consumer !== consumer) return;
      const error = payload.error as Error;
      // A crashed kafkajs consumer has left the group: its partitions are gone.
      this.#assignmentChanged({}, false);
      if (payload.restart) {
        this.logger.warn('consumer lost its connection or group; kafkajs restarts it with backoff', {
          groupId: this.options.groupId,
          error,
        });
      } else {
        this.#fail(toTransportError('consume', error, this.brokers));
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.#topics], fromBeginning: this.options.fromBeginning !== false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.tuning.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (error) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => {});
      throw toTransportError('run', error, this.brokers, { topic: [...this.#topics].join(', ') });
    }
    await promise;
  }

  #assignmentChanged(memberAssignment: Readonly<Record<string, readonly number[]>>, joined = true): void {
    const next = new Set<string>();
    const gained: PartitionState[] = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) {
        const k = key(topic, partition);
        next.add(k);
        const existing = this.#states.get(k);
        if (existing !== undefined) {
          // Kept across the rebalance: kafkajs starts again from the last commit; go on from where
          // delivery stopped instead (earlier records are dropped in #eachBatch in any case).
          if (existing.position !== undefined) this.#consumer?.seek({ topic, partition, offset: existing.position.toString() });
          if (this.#paused.has(k)) this.#consumer?.pause([{ topic, partitions: [partition] }]);
          continue;
        }
        const state: PartitionState = { topic, partition, ready: Promise.resolve(), isReady: false, position: undefined, inFlight: undefined, revoked: false };
        this.#states.set(k, state);
        gained.push(state);
      }
    }
    const lost: PartitionState[] = [];
    for (const [k, state] of this.#states) {
      if (!next.has(k)) {
        state.revoked = true;
        this.#states.delete(k);
        this.#paused.delete(k);
        lost.push(state);
      }
    }
    const list = (states: PartitionState[]) => states.map(({ topic, partition }) => ({ topic, partition }));
    if (lost.length > 0 || gained.length > 0) {
      this.logger.info('consumer assignment changed', {
        groupId: this.options.groupId,
        assigned: list(gained).map((tp) => `${tp.topic}[${tp.partition}]`).join(' '),
        revoked: list(lost).map((tp) => `${tp.topic}[${tp.partition}]`).join(' '),
      });
    }
    const change = this.#changes.then(async () => {
      if (lost.length > 0) {
        await Promise.all(lost.map((s) => s.inFlight?.catch(() => {})));
        await this.#handlers!.onRevoked(list(lost));
      }
      if (gained.length > 0) await this.#handlers!.onAssigned(list(gained));
    });
    this.#changes = change.catch(() => {});
    for (const state of gained) {
      state.ready = change.then(() => {
        state.isReady = true;
      });
      state.ready.catch(() => {});
    }
    const first = joined ? this.#firstAssignment : undefined;
    if (joined) this.#firstAssignment = undefined;
    change.then(
      () => first?.resolve(),
      (error: unknown) => {
        first?.reject(error);
        this.#fail(error);
      },
    );
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const state = this.#states.get(key(batch.topic, batch.partition));
    if (state === undefined || this.#stopping !== undefined || this.#failed) return;
    if (!state.isReady) {
      // Table recovery may take longer than a session: keep the membership alive meanwhile.
      let settled = false;
      state.ready.then(() => (settled = true), () => (settled = true));
      while (!settled) {
        await Promise.race([state.ready.catch(() => {}), sleep(this.tuning.heartbeatInterval)]);
        if (!settled) await this.#heartbeat(heartbeat);
      }
      if (!state.isReady) return;
    }
    const messages = batch.messages;
    let from = 0;
    if (state.position !== undefined && messages.length > 0 && BigInt(messages[0]!.offset) < state.position) {
      while (from < messages.length && BigInt(messages[from]!.offset) < state.position) from++;
    }
    for (let start = from; start < messages.length; start += this.#maxBatch) {
      if (state.revoked || this.#stopping !== undefined || this.#failed || isStale()) return;
      const end = Math.min(messages.length, start + this.#maxBatch);
      const records: ConsumerRecord[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        const m = messages[i]!;
        records[i - start] = {
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ?? null,
          value: m.value ?? null,
          headers: toHeaders(m.headers),
          timestamp: Number(m.timestamp),
        };
      }
      const delivery = (async () => {
        await this.#handlers!.onBatch({ topic: batch.topic, partition: batch.partition, records, highWatermark: batch.highWatermark });
      })();
      state.inFlight = delivery;
      try {
        await delivery;
      } catch (error) {
        this.#fail(error);
        return;
      } finally {
        state.inFlight = undefined;
      }
      state.position = BigInt(records[records.length - 1]!.offset) + 1n;
    }
    if (isStale()) return;
    // Past control records and aborted data too: the next fetch starts after the whole batch.
    const last = batch.lastOffset();
    resolveOffset(last);
    const after = BigInt(last) + 1n;
    if (state.position === undefined || after > state.position) state.position = after;
    await this.#heartbeat(heartbeat);
  }

  /**
   * A heartbeat from inside a batch is where a rebalance shows before kafkajs rejoins: revoke
   * every partition there and then (eager, as Kafka's protocol is), so that the runtime's commits
   * in onRevoked still belong to the current generation; kafkajs rejoins once this returns.
   */
  async #heartbeat(heartbeat: () => Promise<void>): Promise<void> {
    try {
      await heartbeat();
    } catch (error) {
      if (isRebalanceError(error)) await this.#revokeBeforeRejoin();
      throw error;
    }
  }

  #revokeBeforeRejoin(): Promise<void> {
    this.#revoking ??= (async () => {
      const states = [...this.#states.values()];
      for (const state of states) state.revoked = true;
      this.#states.clear();
      this.#paused.clear();
      const change = this.#changes.then(async () => {
        await Promise.all(states.map((s) => s.inFlight?.catch(() => {})));
        const ready = states.filter((s) => s.isReady).map(({ topic, partition }) => ({ topic, partition }));
        if (ready.length > 0) {
          this.logger.info('consumer group is rebalancing: partitions revoked before rejoining', { groupId: this.options.groupId });
          await this.#handlers!.onRevoked(ready);
        }
      });
      this.#changes = change.catch(() => {});
      await change.catch((error: unknown) => this.#fail(error));
    })().finally(() => {
      this.#revoking = undefined;
    });
    return this.#revoking;
  }

  #fail(error: unknown): void {
    if (this.#failed || this.#stopping !== undefined) return;
    this.#failed = true;
    const err = error instanceof Error ? error : new Error(String(error));
    this.logger.error('consumer stopped on an error', { groupId: this.options.groupId, error: err });
    const consumer = this.#consumer;
    this.#consumer = undefined;
    void consumer?.disconnect().catch(() => {});
    this.#firstAssignment?.reject(err);
    this.#handlers?.onError?.(err);
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<boolean> {
    if (offsets.length === 0) return true;
    const consumer = this.#consumer;
    if (consumer === undefined) throw new TransportError('commit', 'the consumer is not running', { topic: offsets[0]!.topic });
    try {
      await consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
      return true;
    } catch (error) {
      if (isRebalanceError(error)) {
        this.logger.warn('offsets not committed: the group rebalanced and the partitions may have moved; their new owner starts from the last commit, and partitions kept here are committed again at the next commit', {
          groupId: this.options.groupId,
          offsets: offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(' '),
        });
        return false;
      }
      throw toTransportError('commit', error, this.brokers, { topic: offsets[0]!.topic, partition: offsets.length === 1 ? offsets[0]!.partition : undefined });
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      if (!this.#states.has(key(topic, partition))) continue;
      this.#paused.add(key(topic, partition));
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    if (byTopic.size > 0) this.#consumer?.pause([...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })));
  }

  resume(partitions: readonly TopicPartition[]): void {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      if (!this.#paused.delete(key(topic, partition))) continue;
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    if (byTopic.size > 0) this.#consumer?.resume([...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })));
  }

  seek(position: TopicPartitionOffset): void {
    const state = this.#states.get(key(position.topic, position.partition));
    if (state === undefined || this.#consumer === undefined) {
      throw new TransportError('seek', 'the partition is not assigned to this consumer', position);
    }
    state.position = BigInt(position.offset);
    this.#consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset });
  }

  /** Stops delivery, lets the runtime finish and commit (onRevoked), then leaves the group. */
  async #leave(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const states = [...this.#states.values()];
    for (const state of states) state.revoked = true;
    if (states.length > 0) consumer.pause(states.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
    await Promise.all(states.map((s) => s.inFlight?.catch(() => {})));
    await this.#changes;
    this.#states.clear();
    this.#paused.clear();
    const ready = states.filter((s) => s.isReady).map(({ topic, partition }) => ({ topic, partition }));
    try {
      if (ready.length > 0) await this.#handlers!.onRevoked(ready);
    } finally {
      this.#consumer = undefined;
      await consumer.disconnect();
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#leave().catch((error: unknown) => {
      throw toTransportError('stop', error, this.brokers);
    });
    return this.#stopping;
  }
}
