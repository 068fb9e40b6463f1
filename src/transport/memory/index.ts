/**
 * The `memory://` driver of the Transport interface, on the embedded broker (./broker.ts).
 */
import { TransportError } from '../../errors.js';
import type {
  Admin,
  Consumer,
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerRecord,
  PartitionOffsets,
  PartitionReadOptions,
  Producer,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  SendOptions,
  TopicDescription,
  TopicPartition,
  TopicPartitionOffset,
  TopicRecords,
  TopicSpec,
  Transaction,
  Transport,
} from '../types.js';
import { silentLogger, type Logger } from '../../logging.js';
import { checkExistingTopic } from '../topic-check.js';
import { liveBatches, maybeCompact, readLiveForConsumer } from './compaction.js';
import { MemoryBroker, type GroupMember, type MemoryGroup, type MemoryTopic, type PartitionLog } from './broker.js';
import type { RecordBuffer } from '../record-buffer.js';

export { MemoryBroker } from './broker.js';

function parseOffset(offset: string, operation: string, where: TopicPartition): number {
  const n = Number(offset);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TransportError(operation, `offset must be a non-negative integer string, got ${JSON.stringify(offset)}`, where);
  }
  return n;
}

export class MemoryTransport implements Transport {
  readonly broker: MemoryBroker;
  readonly #closables = new Set<{ close(): Promise<void> }>();
  #closed = false;

  constructor(
    readonly url: string = 'memory://',
    broker?: MemoryBroker,
    readonly logger: Logger = silentLogger,
  ) {
    this.broker = broker ?? MemoryBroker.forUrl(url);
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new TransportError('connect', 'the transport is closed; open a new one');
  }

  admin(): Admin {
    return new MemoryAdmin(this.broker, this.logger);
  }

  producer(options: ProducerOptions = {}): Producer {
    const producer = new MemoryProducer(this.broker, options);
    this.#closables.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    const consumer = new MemoryConsumer(this.broker, options);
    this.#closables.add({ close: () => consumer.stop() });
    return consumer;
  }

  async *readPartition(topic: string, partition: number, options: PartitionReadOptions = {}): AsyncIterable<readonly ConsumerRecord[]> {
    const memoryTopic = this.broker.topic(topic, 'readPartition');
    const log = memoryTopic.logs[partition];
    if (log === undefined) throw new TransportError('readPartition', 'the partition does not exist', { topic, partition });
    maybeCompact(memoryTopic, log);
    const where = { topic, partition };
    const until = options.until === undefined ? log.end : Math.min(log.end, parseOffset(options.until, 'readPartition', where));
    const size = options.maxBatchSize ?? 1000;
    // a compacted log has gaps: only the records it still holds
    for (const records of liveBatches(log, options.from === undefined ? 0 : parseOffset(options.from, 'readPartition', where), until, size)) yield records;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const closable of this.#closables) await closable.close();
    this.#closables.clear();
  }
}

class MemoryAdmin implements Admin {
  constructor(
    readonly broker: MemoryBroker,
    readonly logger: Logger,
  ) {}

  /** Creates the missing topics; an existing one is checked as the kafka:// driver checks it. */
  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    for (const spec of topics) {
      if (this.broker.topics.has(spec.topic)) checkExistingTopic(spec, this.broker.describe(spec.topic), spec.replicationFactor ?? 1, this.logger);
      else this.broker.createTopic(spec);
    }
  }

  async describeTopics(topics: readonly string[]): Promise<readonly TopicDescription[]> {
    return topics.map((topic) => this.broker.describe(topic));
  }

  async listTopics(): Promise<readonly string[]> {
    return [...this.broker.topics.keys()];
  }

  async fetchTopicOffsets(topic: string): Promise<readonly PartitionOffsets[]> {
    return this.broker.topic(topic, 'fetchTopicOffsets').logs.map((log, partition) => ({ partition, low: '0', high: String(log.end) }));
  }

  async fetchCommittedOffsets(groupId: string, topic: string): Promise<readonly TopicPartitionOffset[]> {
    const committed = this.broker.groups.get(groupId)?.committed.get(topic);
    if (committed === undefined) return [];
    return [...committed].sort((a, b) => a[0] - b[0]).map(([partition, offset]) => ({ topic, partition, offset: String(offset) }));
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.broker.topics.delete(topic);
  }
}

/** Transactional ids currently owned, and by which producer (a newer one fences the older). */
const transactionalOwners = new WeakMap<MemoryBroker, Map<string, MemoryProducer>>();

class MemoryProducer implements Producer {
  #closed = false;
  constructor(
    readonly broker: MemoryBroker,
    readonly options: ProducerOptions,
  ) {
    if (options.transactionalId !== undefined) {
      let owners = transactionalOwners.get(broker);
      if (owners === undefined) transactionalOwners.set(broker, (owners = new Map()));
      owners.set(options.transactionalId, this);
    }
  }

  #check(operation: string, topic?: string): void {
    if (this.#closed) throw new TransportError(operation, 'the producer is closed', { topic });
  }

  async send(topic: string, records: readonly ProducerRecord[]): Promise<readonly RecordMetadata[]> {
    this.#check('send', topic);
    const metadata: RecordMetadata[] = [];
    this.broker.append(topic, records, metadata);
    return metadata;
  }

  async sendBatch(batches: readonly TopicRecords[], options: SendOptions = {}): Promise<readonly RecordMetadata[]> {
    this.#check('sendBatch');
    const metadata: RecordMetadata[] | undefined = options.metadata === false ? undefined : [];
    for (const batch of batches) this.broker.append(batch.topic, batch.records, metadata);
    return metadata ?? [];
  }

  async sendBuffered(buffers: readonly RecordBuffer[]): Promise<void> {
    this.#check('sendBuffered');
    for (const buffer of buffers) this.broker.appendBuffer(buffer);
  }

  async transaction(): Promise<Transaction> {
    this.#check('transaction');
    const id = this.options.transactionalId;
    if (id === undefined) {
      throw new TransportError('transaction', 'the producer is not transactional; create it with a transactionalId');
    }
    const sends: TopicRecords[] = [];
    const offsets: { groupId: string; offsets: readonly TopicPartitionOffset[] }[] = [];
    let state: 'open' | 'committed' | 'aborted' = 'open';
    const ensureOpen = (operation: string) => {
      if (state !== 'open') throw new TransportError(operation, `the transaction is already ${state}`);
      if (transactionalOwners.get(this.broker)?.get(id) !== this) {
        state = 'aborted';
        throw new TransportError(operation, `producer with transactional id ${id} was fenced by a newer one`);
      }
    };
    return {
      send: async (topic, records) => {
        ensureOpen('send');
        sends.push({ topic, records: [...records] });
      },
      sendOffsets: async (groupId, groupOffsets) => {
        ensureOpen('sendOffsets');
        offsets.push({ groupId, offsets: groupOffsets });
      },
      commit: async () => {
        ensureOpen('commit');
        state = 'committed';
        // Applied at once: no consumer can see part of the transaction.
        for (const send of sends) this.broker.append(send.topic, send.records);
        for (const { groupId, offsets: list } of offsets) {
          const group = this.broker.group(groupId);
          for (const o of list) group.commit(o.topic, o.partition, parseOffset(o.offset, 'sendOffsets', o));
        }
      },
      abort: async () => {
        if (state === 'open') state = 'aborted';
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly memoryTopic: MemoryTopic;
  readonly log: PartitionLog;
  position: number;
  ready: boolean;
  paused: boolean;
  revoked: boolean;
  inFlight: Promise<void> | undefined;
  wakeScheduled: boolean;
  readonly wake: () => void;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Sync batch deliveries in a row before yielding to the event loop (fairness with timers, I/O). */
const SYNC_DELIVERIES_PER_TURN = 64;

class MemoryConsumer implements Consumer, GroupMember {
  readonly subscription = new Set<string>();
  readonly #states = new Map<string, PartitionState>();
  readonly #group: MemoryGroup;
  readonly #maxBatch: number;
  #handlers: ConsumerHandlers | undefined;
  #running = false;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly broker: MemoryBroker,
    readonly options: ConsumerOptions,
  ) {
    this.#group = broker.group(options.groupId);
    this.#maxBatch = options.maxBatchSize ?? 1000;
  }

  get assigned(): readonly TopicPartition[] {
    return [...this.#states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  assignment(): readonly TopicPartition[] {
    return this.assigned;
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    let added = false;
    for (const topic of topics) {
      if (!this.subscription.has(topic)) {
        this.subscription.add(topic);
        this.broker.ensureTopic(topic);
        added = true;
      }
    }
    if (added && this.#running) await this.#group.rebalance();
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    if (this.#running) throw new TransportError('run', 'the consumer is already running');
    if (this.#stopping !== undefined) throw new TransportError('run', 'the consumer was stopped; create a new one');
    this.#handlers = handlers;
    this.#running = true;
    await this.#group.join(this);
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    const added: PartitionState[] = [];
    for (const { topic, partition } of partitions) {
      const memoryTopic = this.broker.ensureTopic(topic);
      const log = memoryTopic.logs[partition]!;
      const committed = this.#group.committedOffset(topic, partition);
      const state: PartitionState = {
        topic,
        partition,
        memoryTopic,
        log,
        position: committed ?? (this.options.fromBeginning === false ? log.end : 0),
        ready: false,
        paused: false,
        revoked: false,
        inFlight: undefined,
        wakeScheduled: false,
        wake: () => {
          if (state.wakeScheduled) return;
          state.wakeScheduled = true;
          setImmediate(() => {
            state.wakeScheduled = false;
            this.#pump(state);
          });
        },
      };
      this.#states.set(key(topic, partition), state);
      added.push(state);
    }
    await this.#handlers!.onAssigned(partitions);
    for (const state of added) {
      state.ready = true;
      state.log.listeners.add(state.wake);
      state.wake();
    }
  }

  async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    const states: PartitionState[] = [];
    for (const { topic, partition } of partitions) {
      const state = this.#states.get(key(topic, partition));
      if (state === undefined) continue;
      state.revoked = true;
      state.log.listeners.delete(state.wake);
      states.push(state);
    }
    await Promise.all(states.map((s) => s.inFlight));
    if (states.length > 0) await this.#handlers!.onRevoked(states.map(({ topic, partition }) => ({ topic, partition })));
    for (const state of states) this.#states.delete(key(state.topic, state.partition));
  }

  #pump(state: PartitionState): void {
    for (let turn = 0; ; turn++) {
      if (!state.ready || state.paused || state.revoked || state.inFlight !== undefined || !this.#running) return;
      const end = state.log.end;
      if (state.position >= end) return;
      if (turn === SYNC_DELIVERIES_PER_TURN) {
        state.wake();
        return;
      }
      const from = state.position;
      const to = Math.min(end, from + this.#maxBatch);
      state.position = to;
      maybeCompact(state.memoryTopic, state.log);
      const records = readLiveForConsumer(state.log, from, to);
      if (records.length === 0) continue; // compacted away
      let result: Promise<void> | void;
      try {
        result = this.#handlers!.onBatch({ topic: state.topic, partition: state.partition, records, highWatermark: String(end) });
      } catch (error) {
        this.#fail(error);
        return;
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        state.inFlight = (result as Promise<void>).then(
          () => {
            state.inFlight = undefined;
            // The next batch in a later turn of the event loop, not in this promise job: a
            // backlog delivered job after job would keep timers (commits), I/O and signals out.
            state.wake();
          },
          (error: unknown) => {
            state.inFlight = undefined;
            this.#fail(error);
          },
        );
        return;
      }
    }
  }

  #fail(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    void this.stop();
    this.#handlers?.onError?.(err);
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<boolean> {
    for (const o of offsets) this.#group.commit(o.topic, o.partition, parseOffset(o.offset, 'commit', o));
    return true;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.#states.get(key(topic, partition));
      if (state !== undefined) state.paused = true;
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.#states.get(key(topic, partition));
      if (state !== undefined && state.paused) {
        state.paused = false;
        state.wake();
      }
    }
  }

  /** Whether a partition is paused (for tests of back-pressure). */
  isPaused(tp: TopicPartition): boolean {
    return this.#states.get(key(tp.topic, tp.partition))?.paused ?? false;
  }

  /** The next offset this member will fetch from a partition. */
  position(tp: TopicPartition): number | undefined {
    return this.#states.get(key(tp.topic, tp.partition))?.position;
  }

  seek(position: TopicPartitionOffset): void {
    const state = this.#states.get(key(position.topic, position.partition));
    if (state === undefined) throw new TransportError('seek', 'the partition is not assigned to this consumer', position);
    state.position = parseOffset(position.offset, 'seek', position);
    state.wake();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (!this.#running) return;
      this.#running = false;
      await this.#group.leave(this);
    })();
    return this.#stopping;
  }
}
