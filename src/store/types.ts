import type { Codec } from '../serde/codec.js';

/**
 * Where a partition's state stands against its changelog: the offset of the last changelog record
 * the store holds, and (for at-least-once dedupe after a crash) the source position of the last
 * event whose writes reached the changelog. Saved atomically with the data it describes.
 */
export interface PartitionCheckpoint {
  /** Offset of the last changelog record applied to the store (a decimal string, like Kafka's). */
  readonly changelogOffset: string;
  /**
   * Per source topic, the offset of the first event whose writes are NOT in the changelog yet:
   * after a crash, replayed events below it are already in the state and must not be applied again.
   */
  readonly sources?: Readonly<Record<string, string>>;
  /** Windowed tables: the highest event time the partition had seen. */
  readonly streamTime?: number;
}

/** One change, encoded: a `null` value deletes the key. */
export interface StoreWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
  /** The partition, so that a write doubles as the changelog record that carries it. */
  readonly partition?: number;
}

/** A partition's changes taken at commit: sent to the changelog, then written to the store. */
export interface PartitionBatch {
  readonly partition: number;
  readonly writes: readonly StoreWrite[];
  readonly checkpoint: PartitionCheckpoint | undefined;
}

export interface StoreOptions<TKey, TValue> {
  /** The table's name; a level store keeps it in `<dir>/<table>`. */
  readonly table: string;
  readonly key: Codec<TKey>;
  readonly value: Codec<TValue>;
}

/**
 * A table's local state, per partition. Reads and writes go through an in-memory cache that holds
 * the partitions this worker is assigned, so `getSync` and `set` never wait; `flush` writes the
 * changes since the last flush, with each partition's checkpoint, in one atomic batch (drivers
 * that persist) at commit time.
 *
 * Drivers: `memory://` (nothing survives the process) and `level://<dir>` (LevelDB through
 * `level`; a restart reloads the partitions and replays only the changelog after their checkpoint).
 */
export interface Store<TKey, TValue> {
  readonly url: string;
  /** Opens the backing storage; a level store takes its directory's lock here. */
  open(): Promise<void>;
  /** Loads a partition into the cache (idempotent) and returns its checkpoint, if any. */
  assign(partition: number): Promise<PartitionCheckpoint | undefined>;
  /** Flushes and drops a partition from the cache. */
  revoke(partition: number): Promise<void>;
  /** The partitions loaded, in ascending order. */
  partitions(): readonly number[];
  has(partition: number, key: TKey): boolean;
  getSync(partition: number, key: TKey): TValue | undefined;
  get(partition: number, key: TKey): Promise<TValue | undefined>;
  set(partition: number, key: TKey, value: TValue): void;
  /** Returns whether the key was present. */
  delete(partition: number, key: TKey): boolean;
  entries(partition: number): IterableIterator<[TKey, TValue]>;
  size(partition: number): number;
  /** Applies one changelog record (raw bytes; `null` value = tombstone) during recovery. */
  applyChangelog(partition: number, key: Buffer, value: Buffer | null): void;
  checkpoint(partition: number): PartitionCheckpoint | undefined;
  /** Records the checkpoint to save with the next flush. */
  setCheckpoint(partition: number, checkpoint: PartitionCheckpoint): void;
  /** Changes not yet taken, across partitions. */
  pending(): number;
  /**
   * Starts an undo scope on a partition (a new event began writing): the value each key had
   * before its first change from now on is kept, so that `takeChanges` can leave the scope out.
   */
  mark(partition: number): void;
  /**
   * Takes the changes made since the last take, encoded, partition by partition, in write order.
   * For partitions where `options.excludeMarked(partition)` is true, the changes of the current undo scope
   * are left out (their keys carry the value from before the scope) and stay pending.
   */
  takeChanges(options?: TakeChangesOptions): PartitionBatch[];
  /** Writes taken changes atomically with their checkpoints (a no-op for `memory://`). */
  write(batches: readonly PartitionBatch[]): Promise<void>;
  /** `write(takeChanges())` with the checkpoints set by `setCheckpoint`. */
  flush(): Promise<void>;
  /** Flushes, then releases the storage (and its lock). */
  close(): Promise<void>;
  /** What the storage holds, per partition, without loading it (for `mephisto tables`). */
  inspect(): Promise<readonly StoredPartition[]>;
  /** Releases the storage WITHOUT writing pending changes, as a killed process would (crash tests). */
  abandon(): Promise<void>;
}

export interface StoredPartition {
  readonly partition: number;
  readonly keys: number;
  readonly checkpoint: PartitionCheckpoint | undefined;
}

export interface TakeChangesOptions {
  /** Take only this partition's changes. */
  readonly partition?: number;
  /** Leave out the current undo scope of the partitions for which this returns true. */
  readonly excludeMarked?: (partition: number) => boolean;
  /**
   * With `excludeMarked`: also put the left-out keys back in the cache as they were before the
   * scope (what the taken writes say), instead of keeping their current state pending. For a
   * partition given up (revoked, or the worker stopping) while an event is still writing to it:
   * the event is not committed and will be handled again, so its writes must go nowhere.
   */
  readonly rollBackMarked?: boolean;
}

export type StoreFactory = <TKey, TValue>(url: string, options: StoreOptions<TKey, TValue>) => Store<TKey, TValue>;
