import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import type { AppComponent, AppInternals, EventContext } from '../app/hooks.js';
import { ConfigError, TableAccessError, TablePartitionsError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Codec } from '../serde/codec.js';
import { createStore } from '../store/index.js';
import type { PartitionBatch, PartitionCheckpoint, Store } from '../store/types.js';
import type { Producer, ProducerRecord, TopicPartition, TopicPartitionOffset, TopicSpec } from '../transport/types.js';

/** On the last changelog record of a commit: JSON `{ topic: offset }`, see PartitionCheckpoint.sources. */
export const SOURCES_HEADER = 'mephisto-table-sources';
/** On the last changelog record of a commit of a windowed table: the partition's stream time. */
export const STREAM_TIME_HEADER = 'mephisto-table-stream-time';

const RESTORE_BATCH = 10_000;
const RESTORE_WRITE_EVERY = 100_000;
const PROGRESS_EVERY_MS = 1_000;

export interface TableSettings<TKey, TValue> {
  readonly key: Codec<TKey>;
  readonly value: Codec<TValue>;
  /** Partition count; by default the source topic's (or that of the topics first assigned). */
  readonly partitions?: number | undefined;
  /** The topic whose partitions the table follows (its events' keys live on the same partition). */
  readonly source?: string | { readonly name: string } | undefined;
  /** `memory://` or `level://<dir>`; by default the app's store in its data directory. */
  readonly store?: string | undefined;
  /** Every worker holds every partition, filled only from the changelog; writes are refused. */
  readonly global?: boolean | undefined;
  /** The changelog topic; by default `<app>-<table>-changelog`. */
  readonly changelog?: string | undefined;
  /** How often a global table reads new changelog records, in ms (default 500). */
  readonly globalPollInterval?: number | undefined;
}

/** A recovery of one partition, for logs, tests and the CLI. */
export interface RecoveryReport {
  readonly partition: number;
  /** First changelog offset read (the store's checkpoint + 1), or undefined for the log start. */
  readonly from: string | undefined;
  readonly records: number;
  readonly ms: number;
}

/** What a windowed view needs to hear about. */
export interface PartitionListener {
  restored(partition: number): void;
  revoked(partition: number): void;
}

interface PartitionState {
  /** The event that wrote last on this partition (its undo scope is open in the store). */
  topic: string | undefined;
  offset: string | undefined;
  /**
   * Per source topic, the highest offset of an event that wrote here and is not claimed by the
   * changelog yet (see commitNow). The highest, not the last: with agent concurrency, events of
   * one partition finish out of order.
   */
  readonly written: Map<string, bigint>;
  /** Positions recorded with the last commit (or restored): see PartitionCheckpoint.sources. */
  sources: Record<string, string>;
  /** Replayed events below these offsets are in the state already: their writes are skipped. */
  guard: Map<string, bigint> | undefined;
  streamTime: number | undefined;
  changelogOffset: string | undefined;
}

const sourceName = (source: TableSettings<unknown, unknown>['source']): string | undefined =>
  source === undefined ? undefined : typeof source === 'string' ? source : source.name;

/**
 * A table inside a worker: its store, its changelog, its partitions, and the App hooks that keep
 * them in step with the source offsets. The public `Table` and `WindowedTable` are views of it.
 *
 * Commit protocol (beforeCommit): the changes since the last commit are taken from the store in
 * one synchronous step, sent to the changelog (the last record of each partition carries the
 * source positions they cover), and only once acknowledged written to the store with the
 * changelog offset as checkpoint. The runtime commits the source offsets after that. So the
 * changelog always holds at least what the store holds, and a worker that dies anywhere in between
 * restarts from a state that matches its committed offsets: writes of replayed events already in
 * the changelog are skipped (`guard`), those that are not are applied again.
 */
export class TableState<TKey, TValue> implements AppComponent {
  readonly name: string;
  readonly changelogTopic: string;
  readonly recoveries: RecoveryReport[] = [];
  keyCodec: Codec<TKey>;
  readonly valueCodec: Codec<TValue>;
  /** Skipped writes of replayed events (already in the changelog). */
  skippedReplays = 0;
  listener: PartitionListener | undefined;
  private partitionCount: number | undefined;
  private storeInstance: Store<TKey, TValue> | undefined;
  private producer: Producer | undefined;
  private readonly parts = new Map<number, PartitionState>();
  /** `parts` by partition number, for the hot path. */
  private readonly partsByNumber: Array<PartitionState | undefined> = [];
  private readonly isGlobal: boolean;
  private committing: Promise<void> = Promise.resolve();
  /** A store write failed (logged once; the store refuses the rest, see CachedStore.write). */
  private storeFailed = false;
  /** The offsets of the runtime's last commit (what the changelog must cover, and no more). */
  private lastPositions: readonly TopicPartitionOffset[] | undefined;
  /** The last store write started by a commit (writes are chained in the store). */
  private storeWrites: Promise<void> = Promise.resolve();
  private stopPolling: (() => void) | undefined;
  private polling: Promise<void> | undefined;
  private started = false;

  constructor(
    readonly table: string,
    readonly internals: AppInternals,
    readonly settings: TableSettings<TKey, TValue>,
  ) {
    if (!/^[A-Za-z0-9._-]+$/.test(table)) {
      throw new ConfigError('table name', `"${table}" may hold only letters, digits, '.', '_' and '-' (it names a topic and a directory)`);
    }
    this.name = `table:${table}`;
    this.changelogTopic = settings.changelog ?? `${internals.id}-${table}-changelog`;
    this.keyCodec = settings.key;
    this.valueCodec = settings.value;
    this.partitionCount = settings.partitions;
    this.isGlobal = settings.global === true;
    internals.registerComponent(this);
  }

  get global(): boolean {
    return this.isGlobal;
  }

  get source(): string | undefined {
    return sourceName(this.settings.source);
  }

  get partitions(): number | undefined {
    return this.partitionCount ?? (this.source === undefined ? undefined : this.internals.partitionsOf(this.source));
  }

  get logger(): Logger {
    return this.internals.logger;
  }

  get store(): Store<TKey, TValue> {
    if (this.storeInstance === undefined) {
      throw new TableAccessError({ table: this.table }, 'the table is used before the app started; read and write it from agents.');
    }
    return this.storeInstance;
  }

  get storeUrl(): string {
    const url = this.settings.store ?? this.internals.storeUrl;
    return url === 'level://' ? `level://${join(this.internals.dataDir, 'tables')}` : url;
  }

  /** Changes the key codec (a windowed table stores (key, window) pairs); only before start. */
  useKeyCodec(codec: Codec<TKey>): void {
    if (this.started) throw new TableAccessError({ table: this.table }, 'windowing must be chosen before the app starts.');
    this.keyCodec = codec;
  }

  // ------------------------------------------------------------------------------------------
  // App hooks

  /** Topics the table writes besides its changelog (a windowed table's final results). */
  readonly outputTopics: TopicSpec[] = [];

  /** Not the changelog: `start` (or the first assignment) creates or checks it, naming the table. */
  topics(): readonly TopicSpec[] {
    return [...this.outputTopics];
  }

  private changelogSpec(partitions: number): TopicSpec {
    return { topic: this.changelogTopic, partitions, config: { 'cleanup.policy': 'compact' } };
  }

  async start(): Promise<void> {
    this.started = true;
    this.parts.clear();
    this.partsByNumber.length = 0;
    this.recoveries.length = 0;
    this.storeInstance = createStore(this.storeUrl, { table: this.table, key: this.keyCodec, value: this.valueCodec });
    await this.storeInstance.open();
    this.producer = this.internals.changelogProducer?.(this.source) ?? this.internals.transport.producer();
    if (this.global) {
      await this.startGlobal();
      return;
    }
    const partitions = this.partitions;
    if (partitions !== undefined) await this.ensureChangelog(partitions, this.source);
  }

  /**
   * Creates the changelog if missing. One that exists is checked: another partition count than
   * the source's is a TablePartitionsError, and the driver's createTopics refuses any cleanup
   * policy but `compact` (retention would delete table state) and logs a lower replication.
   */
  private async ensureChangelog(partitions: number, source: string | undefined): Promise<void> {
    const admin = this.internals.transport.admin();
    const existing = await admin.listTopics();
    const [described] = existing.includes(this.changelogTopic) ? await admin.describeTopics([this.changelogTopic]) : [];
    if (described !== undefined && described.partitions !== partitions) {
      throw new TablePartitionsError({
        table: this.table,
        changelog: this.changelogTopic,
        changelogPartitions: described.partitions,
        source: source ?? '(the table setting `partitions`)',
        sourcePartitions: partitions,
      });
    }
    await admin.createTopics([this.changelogSpec(partitions)]);
    this.partitionCount = partitions;
  }

  async onPartitionsAssigned(assigned: readonly TopicPartition[]): Promise<void> {
    if (this.global) return;
    const source = this.source;
    const relevant = source === undefined ? assigned : assigned.filter((tp) => tp.topic === source);
    if (relevant.length === 0) return;
    if (source === undefined) {
      // Without a source the table follows every topic the app reads: they must agree, or the
      // changelog would take the count of whichever came first (and keep it on the broker).
      const counts = [...new Set(relevant.map((tp) => tp.topic))].sort().map((topic) => [topic, this.internals.partitionsOf(topic)] as const);
      if (new Set(counts.map(([, count]) => count).filter((count) => count !== undefined)).size > 1) {
        throw new ConfigError(
          `table ${this.table}`,
          `the topics this app reads have different partition counts (${counts.map(([topic, count]) => `${topic}: ${count ?? '?'}`).join(', ')}), ` +
            'so the table cannot tell which to follow: set its option `source` to the topic whose events write it (or a repartition topic)',
        );
      }
    }
    // The table follows its source: take the partition count from it, and refuse a mismatch.
    for (const topic of new Set(relevant.map((tp) => tp.topic))) {
      const count = this.internals.partitionsOf(topic);
      if (count === undefined) continue;
      if (this.partitionCount === undefined) await this.ensureChangelog(count, topic);
      else if (count !== this.partitionCount) {
        throw new TablePartitionsError({
          table: this.table,
          changelog: this.changelogTopic,
          changelogPartitions: this.partitionCount,
          source: topic,
          sourcePartitions: count,
        });
      }
    }
    const numbers = [...new Set(relevant.map((tp) => tp.partition))].sort((a, b) => a - b);
    for (const partition of numbers) {
      if (!this.parts.has(partition)) await this.recover(partition);
    }
  }

  async onPartitionsRevoked(revoked: readonly TopicPartition[]): Promise<void> {
    if (this.global) return;
    const source = this.source;
    const numbers = new Set(revoked.filter((tp) => source === undefined || tp.topic === source).map((tp) => tp.partition));
    for (const partition of numbers) {
      if (!this.parts.has(partition)) continue;
      // The runtime committed (and so ran beforeCommit) before revoking. What is left are the
      // writes of events still in flight: not committed, so the next owner of the partition
      // handles them again, and their writes must reach neither the changelog (the replay guard
      // would skip them there) nor the store: commit against the positions of that last commit,
      // rolling the unfinished event's writes back.
      // in the chain of commits: a commit in flight (awaiting its changelog send) finishes first
      const revoking = this.committing.then(() => this.commitNow(this.lastPositions, partition, true));
      this.committing = revoking.catch(() => undefined);
      await revoking;
      this.parts.delete(partition);
      this.partsByNumber[partition] = undefined;
      this.listener?.revoked(partition);
      await this.store.revoke(partition).catch((error: unknown) => this.onStoreFailure(error));
    }
  }

  beforeCommit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets !== undefined) this.lastPositions = offsets;
    const next = this.committing.then(() => this.commitNow(offsets));
    this.committing = next.catch(() => undefined);
    return next;
  }

  async stop(): Promise<void> {
    this.stopPolling?.();
    await this.polling;
    if (this.storeInstance === undefined) return;
    await this.committing.catch(() => undefined);
    const store = this.storeInstance;
    try {
      // as on revocation: the writes of events the last commit did not cover go nowhere
      await this.commitNow(this.lastPositions, undefined, true);
      await this.storeWrites;
    } finally {
      // Never `close()` (which flushes): whatever the commit did not send to the changelog must
      // not reach the store either, or the store would hold state its checkpoint does not cover.
      await this.producer?.close();
      this.producer = undefined;
      this.storeInstance = undefined;
      this.parts.clear();
      this.partsByNumber.length = 0;
      await store.abandon();
    }
  }

  /**
   * Drops this worker's state as a killed process would: the store is closed without writing
   * what was not committed, nothing is sent. For crash tests of the embedded broker, where the
   * broker outlives the "worker".
   */
  async abandon(): Promise<void> {
    this.stopPolling?.();
    const store = this.storeInstance;
    this.storeInstance = undefined;
    this.producer = undefined;
    this.parts.clear();
    this.partsByNumber.length = 0;
    await store?.abandon();
  }

  // ------------------------------------------------------------------------------------------
  // Reads and writes

  /** Partitions this worker holds, ascending. */
  heldPartitions(): readonly number[] {
    return [...this.parts.keys()].sort((a, b) => a - b);
  }

  /** The handler's current event, refused when it is a batch spanning partitions (no single partition). */
  private currentEvent(): EventContext | undefined {
    const event = this.internals.currentEvent();
    if (event?.spansPartitions === true && !this.isGlobal) {
      throw new TableAccessError(
        { table: this.table, partition: event.partition },
        `used while the handler holds a take() batch of events from several partitions (the last from ${event.topic}[${event.partition}]@${event.offset}): ` +
          'a table is read and written on the partition of the event being processed, and in such a batch there is no single one. ' +
          'Use the table per event (iterate the stream itself), or take() from a topic with one partition.',
      );
    }
    return event;
  }

  /** Reads inside a handler look at the event's partition; outside, at every partition held. */
  read(key: TKey): TValue | undefined {
    const event = this.currentEvent();
    if (event !== undefined && !this.isGlobal) return this.store.getSync(event.partition, key);
    for (const partition of this.heldPartitions()) {
      const value = this.store.getSync(partition, key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  contains(key: TKey): boolean {
    const event = this.currentEvent();
    if (event !== undefined && !this.global) return this.store.has(event.partition, key);
    return this.heldPartitions().some((partition) => this.store.has(partition, key));
  }

  /**
   * Prepares a write from the current event: returns its partition, or undefined when the event
   * is a replay whose writes are already in the changelog (the write must be skipped).
   */
  writeTarget(): number | undefined {
    const event = this.currentEvent();
    if (this.isGlobal) {
      throw new TableAccessError({ table: this.table }, 'a global table is read-only: write its changelog topic instead.');
    }
    if (event === undefined) {
      throw new TableAccessError(
        { table: this.table },
        'tables are written from agent handlers (the event decides the partition); no event is being processed here.',
      );
    }
    const partition = event.partition;
    const state = this.partsByNumber[partition];
    if (state === undefined) {
      throw new TableAccessError(
        { table: this.table, partition },
        `this worker does not hold the partition (event from ${event.topic}[${partition}]@${event.offset}); ` +
          'is the agent reading a topic whose partitions the table does not follow? Set the table option `source`.',
      );
    }
    if (state.guard !== undefined && this.isReplayed(state, event)) return undefined;
    if (state.offset !== event.offset || state.topic !== event.topic) {
      state.topic = event.topic;
      state.offset = event.offset;
      // channel events (offset -1) have no position to claim
      const offset = BigInt(event.offset);
      const highest = state.written.get(event.topic);
      if (offset >= 0n && (highest === undefined || offset > highest)) state.written.set(event.topic, offset);
      this.store.mark(partition);
    }
    return partition;
  }

  private isReplayed(state: PartitionState, event: EventContext): boolean {
    const guard = state.guard!;
    const below = guard.get(event.topic);
    if (below === undefined) return false;
    if (BigInt(event.offset) < below) {
      this.skippedReplays++;
      return true;
    }
    // The guard stays up until a commit passes it (retireGuard): with agent concurrency a later
    // event may be handled before an earlier replayed one, which must still be skipped.
    return false;
  }

  /** Drops the replay guards that the committed positions passed: no replay below them is left. */
  private retireGuard(state: PartitionState, partition: number, committing: ReadonlyMap<string, bigint>): void {
    const guard = state.guard;
    if (guard === undefined) return;
    for (const [topic, below] of guard) {
      const next = committing.get(`${topic}\u0000${partition}`);
      if (next !== undefined && next >= below) guard.delete(topic);
    }
    if (guard.size === 0) state.guard = undefined;
  }

  streamTime(partition: number): number | undefined {
    return this.parts.get(partition)?.streamTime;
  }

  advanceStreamTime(partition: number, time: number): number {
    const state = this.parts.get(partition)!;
    if (state.streamTime === undefined || time > state.streamTime) state.streamTime = time;
    return state.streamTime;
  }

  // ------------------------------------------------------------------------------------------
  // Commit

  private async commitNow(offsets: readonly TopicPartitionOffset[] | undefined, only?: number, final = false): Promise<void> {
    const store = this.storeInstance;
    if (store === undefined || this.global) return;
    const committing = new Map<string, bigint>();
    for (const { topic, partition, offset } of offsets ?? []) committing.set(`${topic}\u0000${partition}`, BigInt(offset));
    // An event at or past the offset being committed is still in progress (or came after the
    // commit point): its writes wait for the next commit, so the changelog matches the offsets.
    // A partition absent from the offsets has no event done yet (the runtime lists every
    // partition with a committable offset), so its writer is in progress too; events from
    // channels (offset -1) have nothing to commit and are never held back.
    const inProgress = (partition: number): boolean => {
      const state = this.parts.get(partition);
      if (state?.topic === undefined || state.offset === undefined || state.offset === '-1') return false;
      const next = committing.get(`${state.topic}\u0000${partition}`);
      return next === undefined ? offsets !== undefined : BigInt(state.offset) >= next;
    };
    for (const [partition, state] of this.parts) if (only === undefined || partition === only) this.retireGuard(state, partition, committing);
    const taken = store.takeChanges({ partition: only, excludeMarked: inProgress, rollBackMarked: final });
    if (taken.length === 0) return;
    const records: ProducerRecord[] = [];
    const pending: Array<{ batch: PartitionBatch; sources: Record<string, string>; streamTime: number | undefined }> = [];
    for (const batch of taken) {
      if (batch.writes.length === 0) continue;
      const state = this.parts.get(batch.partition);
      // a partition revoked meanwhile: its revocation committed (or rolled back) what was its own
      if (state === undefined) continue;
      // What the changelog claims (the replay guard after a crash) is the position being
      // committed: every event below it is done, and its writes are in this batch or an earlier
      // one (the undo scope left out belongs to an event at or past it). Not the offset of the
      // event that wrote last: with agent concurrency that may be an earlier event finishing
      // late, or a later one while an earlier is still writing. Events at or past the position
      // may have sent writes already; they are handled again after a crash (at-least-once).
      const sources: Record<string, string> = { ...state.sources };
      for (const [topic, highest] of state.written) {
        const position = committing.get(`${topic}\u0000${batch.partition}`);
        if (position === undefined) continue;
        const previous = sources[topic];
        if (previous === undefined || BigInt(previous) < position) sources[topic] = position.toString();
        if (position > highest) state.written.delete(topic); // every write of the topic is claimed
      }
      const headers: Record<string, string> = { [SOURCES_HEADER]: JSON.stringify(sources) };
      if (state.streamTime !== undefined) headers[STREAM_TIME_HEADER] = String(state.streamTime);
      const last = batch.writes.length - 1;
      const writes = batch.writes;
      for (let index = 0; index < last; index++) {
        const write = writes[index]!;
        records.push(write.partition === batch.partition ? write : { key: write.key, value: write.value, partition: batch.partition });
      }
      records.push({ key: writes[last]!.key, value: writes[last]!.value, partition: batch.partition, headers });
      pending.push({ batch, sources, streamTime: state.streamTime });
    }
    if (records.length === 0) return;
    const metadata = await this.producer!.send(this.changelogTopic, records);
    const lastOffset = new Map<number, string>();
    for (const m of metadata) lastOffset.set(m.partition, m.offset);
    const writes: PartitionBatch[] = [];
    for (const { batch, sources, streamTime } of pending) {
      const changelogOffset = lastOffset.get(batch.partition)!;
      const checkpoint: PartitionCheckpoint = streamTime === undefined ? { changelogOffset, sources } : { changelogOffset, sources, streamTime };
      const state = this.parts.get(batch.partition);
      if (state !== undefined) {
        state.sources = sources;
        state.changelogOffset = changelogOffset;
      }
      writes.push({ partition: batch.partition, writes: batch.writes, checkpoint });
    }
    // The changelog has these changes now, so the offsets may be committed: the store write
    // (LevelDB's own thread) need not hold the commit up. Writes stay in order, each atomic with
    // its checkpoint; a store that falls behind only means a longer changelog tail on restart.
    this.storeWrites = store.write(writes).catch((error: unknown) => this.onStoreFailure(error));
  }

  private onStoreFailure(error: unknown): void {
    if (this.storeFailed) return;
    this.storeFailed = true;
    this.logger.error('table store write failed; the store takes no more writes until a restart, which replays the changelog from its last stored checkpoint', { table: this.table, error });
  }

  // ------------------------------------------------------------------------------------------
  // Recovery

  /** Loads a partition from the store, then replays the changelog from its checkpoint to the end. */
  private async recover(partition: number): Promise<void> {
    const store = this.store;
    let checkpoint = await store.assign(partition);
    const state: PartitionState = {
      topic: undefined,
      offset: undefined,
      written: new Map(),
      sources: { ...(checkpoint?.sources ?? {}) },
      guard: undefined,
      streamTime: checkpoint?.streamTime,
      changelogOffset: checkpoint?.changelogOffset,
    };
    if (this.internals.exactlyOnce === true && (checkpoint !== undefined || store.size(partition) > 0)) {
      // Under exactly_once, writes reach the store before their transaction commits, and a worker
      // that died in between left writes that were never committed: the changelog (read
      // committed) is the truth. Rebuild the partition from it.
      for (const [key] of [...store.entries(partition)]) store.delete(partition, key);
      checkpoint = undefined;
      state.sources = {};
      state.streamTime = undefined;
      state.changelogOffset = undefined;
    }
    const offsets = await this.internals.transport.admin().fetchTopicOffsets(this.changelogTopic);
    const high = BigInt(offsets.find((o) => o.partition === partition)?.high ?? '0');
    if (checkpoint !== undefined && BigInt(checkpoint.changelogOffset) >= high) {
      // The store is ahead of its changelog: the topic was deleted or recreated. The changelog is
      // the truth; rebuild the partition from it.
      this.logger.warn('table store is ahead of its changelog (was the topic recreated?): rebuilding the partition from the changelog', {
        table: this.table,
        partition,
        checkpoint: checkpoint.changelogOffset,
        changelogEnd: high.toString(),
      });
      for (const [key] of [...store.entries(partition)]) store.delete(partition, key);
      checkpoint = undefined;
      state.sources = {};
      state.streamTime = undefined;
      state.changelogOffset = undefined;
    }
    const from = checkpoint === undefined ? undefined : (BigInt(checkpoint.changelogOffset) + 1n).toString();
    const started = performance.now();
    let lastProgress = started;
    let restored = 0;
    const total = high - (from === undefined ? BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0') : BigInt(from));
    const writeUpTo = async () => {
      if (state.changelogOffset === undefined) return;
      const [batch] = store.takeChanges({ partition });
      const checkpointNow: PartitionCheckpoint =
        state.streamTime === undefined
          ? { changelogOffset: state.changelogOffset, sources: state.sources }
          : { changelogOffset: state.changelogOffset, sources: state.sources, streamTime: state.streamTime };
      await store.write([{ partition, writes: batch?.writes ?? [], checkpoint: checkpointNow }]);
    };
    const readOptions = from === undefined ? { maxBatchSize: RESTORE_BATCH } : { from, maxBatchSize: RESTORE_BATCH };
    if (total > 0n) {
      let sinceWrite = 0;
      for await (const records of this.internals.transport.readPartition(this.changelogTopic, partition, readOptions)) {
        for (const record of records) {
          if (record.key === null) {
            this.logger.warn('changelog record without a key skipped', { topic: this.changelogTopic, partition, offset: record.offset });
          } else {
            store.applyChangelog(partition, record.key, record.value);
          }
          const sources = record.headers[SOURCES_HEADER];
          if (sources !== undefined) mergeSources(state.sources, JSON.parse(sources.toString()) as Record<string, string>);
          const streamTime = record.headers[STREAM_TIME_HEADER];
          if (streamTime !== undefined) state.streamTime = Math.max(state.streamTime ?? -Infinity, Number(streamTime.toString()));
        }
        restored += records.length;
        sinceWrite += records.length;
        if (records.length > 0) state.changelogOffset = records[records.length - 1]!.offset;
        if (sinceWrite >= RESTORE_WRITE_EVERY) {
          sinceWrite = 0;
          await writeUpTo();
        }
        const now = performance.now();
        if (now - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = now;
          this.logger.info('table recovery in progress', {
            table: this.table,
            partition,
            restored,
            recordsPerSecond: Math.round(restored / ((now - started) / 1000)),
            remaining: (total - BigInt(restored)).toString(),
          });
        }
      }
      await writeUpTo();
    }
    const ms = performance.now() - started;
    state.guard = guardFrom(state.sources);
    this.parts.set(partition, state);
    this.partsByNumber[partition] = state;
    this.recoveries.push({ partition, from, records: restored, ms });
    this.logger.info('table partition recovered', {
      table: this.table,
      partition,
      restored,
      recordsPerSecond: ms > 0 ? Math.round(restored / (ms / 1000)) : restored,
      remaining: 0,
      fromOffset: from ?? 'start',
      keys: store.size(partition),
    });
    this.listener?.restored(partition);
  }

  // ------------------------------------------------------------------------------------------
  // Global tables

  private async startGlobal(): Promise<void> {
    const admin = this.internals.transport.admin();
    const known = await admin.listTopics();
    // A global table takes an existing changelog's partition count; its cleanup policy is checked.
    const [existing] = known.includes(this.changelogTopic) ? await admin.describeTopics([this.changelogTopic]) : [];
    await admin.createTopics([this.changelogSpec(this.settings.partitions ?? existing?.partitions ?? this.partitions ?? 1)]);
    const [described] = await admin.describeTopics([this.changelogTopic]);
    const count = described!.partitions;
    this.partitionCount = count;
    for (let partition = 0; partition < count; partition++) await this.recover(partition);
    const interval = this.settings.globalPollInterval ?? 500;
    const schedule = () => {
      this.stopPolling = this.internals.clock.schedule(interval, () => {
        this.polling = this.pollGlobal().then(schedule, (error: unknown) => {
          this.logger.error('global table could not follow its changelog; retrying', { table: this.table, error });
          schedule();
        });
      });
    };
    schedule();
  }

  /** Reads what was appended to a global table's changelog since the last look. */
  async pollGlobal(): Promise<void> {
    const store = this.storeInstance;
    if (store === undefined) return;
    for (const [partition, state] of this.parts) {
      const from = state.changelogOffset === undefined ? undefined : (BigInt(state.changelogOffset) + 1n).toString();
      const options = from === undefined ? { maxBatchSize: RESTORE_BATCH } : { from, maxBatchSize: RESTORE_BATCH };
      let read = 0;
      for await (const records of this.internals.transport.readPartition(this.changelogTopic, partition, options)) {
        for (const record of records) if (record.key !== null) store.applyChangelog(partition, record.key, record.value);
        if (records.length > 0) state.changelogOffset = records[records.length - 1]!.offset;
        read += records.length;
      }
      if (read > 0 && state.changelogOffset !== undefined) {
        const [batch] = store.takeChanges({ partition });
        await store.write([{ partition, writes: batch?.writes ?? [], checkpoint: { changelogOffset: state.changelogOffset } }]);
      }
    }
  }
}

function mergeSources(into: Record<string, string>, from: Record<string, string>): void {
  for (const [topic, offset] of Object.entries(from)) {
    const previous = into[topic];
    if (previous === undefined || BigInt(previous) < BigInt(offset)) into[topic] = offset;
  }
}

function guardFrom(sources: Record<string, string>): Map<string, bigint> | undefined {
  const entries = Object.entries(sources);
  return entries.length === 0 ? undefined : new Map(entries.map(([topic, offset]) => [topic, BigInt(offset)]));
}
