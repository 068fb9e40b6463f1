import { TableAccessError } from '../errors.js';
import type { Codec } from '../serde/codec.js';
import type { PartitionBatch, PartitionCheckpoint, Store, StoreOptions, StoredPartition, StoreWrite, TakeChangesOptions } from './types.js';

export type { PartitionBatch, StoreWrite } from './types.js';

interface Entry<TKey, TValue> {
  readonly cacheKey: unknown;
  readonly key: TKey;
  value: TValue;
  dirty: boolean;
  deleted: boolean;
  /** The bytes of key and value as a changelog record gave them, until written (no re-encoding). */
  rawKey: Buffer | undefined;
  rawValue: Buffer | undefined;
}

/** A key's state before the current undo scope first changed it. */
interface PreImage<TKey, TValue> {
  cacheKey: unknown;
  key: TKey;
  present: boolean;
  value: TValue | undefined;
}

export interface LoadedPartition {
  readonly checkpoint: PartitionCheckpoint | undefined;
  readonly entries: AsyncIterable<readonly (readonly [Buffer, Buffer])[]>;
}

class PartitionCache<TKey, TValue> {
  readonly entries = new Map<unknown, Entry<TKey, TValue>>();
  dirty: Entry<TKey, TValue>[] = [];
  checkpoint: PartitionCheckpoint | undefined;
  checkpointDirty = false;
  /**
   * The current undo scope, its first `undoCount` slots: an event touches few keys, so a short
   * array beats a Map, and its slots are reused from event to event (nothing allocated per event).
   */
  undo: PreImage<TKey, TValue>[] | undefined;
  undoCount = 0;

  remember(cacheKey: unknown, key: TKey, entry: Entry<TKey, TValue> | undefined): void {
    const undo = this.undo!;
    const count = this.undoCount;
    for (let i = 0; i < count; i++) if (undo[i]!.cacheKey === cacheKey) return;
    const present = entry !== undefined;
    const value = entry === undefined ? undefined : entry.value;
    const slot = undo[count];
    if (slot === undefined) undo.push({ cacheKey, key, present, value });
    else {
      slot.cacheKey = cacheKey;
      slot.key = key;
      slot.present = present;
      slot.value = value;
    }
    this.undoCount = count + 1;
  }

  /** The scope's pre-images, by cache key. */
  scope(): Map<unknown, PreImage<TKey, TValue>> {
    const map = new Map<unknown, PreImage<TKey, TValue>>();
    for (let i = 0; i < this.undoCount; i++) {
      const before = this.undo![i]!;
      map.set(before.cacheKey, { ...before });
    }
    return map;
  }
}

/**
 * The cache every driver shares: a partition's entries live decoded in a Map, keyed by the key
 * itself when it is a string (the common case, and free) or by its encoded bytes otherwise.
 * Changes are tracked per partition in write order; `flush` encodes them synchronously, then hands
 * them to the driver's `persist` as one batch.
 */
export abstract class CachedStore<TKey, TValue> implements Store<TKey, TValue> {
  readonly table: string;
  protected readonly keyCodec: Codec<TKey>;
  protected readonly valueCodec: Codec<TValue>;
  private readonly caches = new Map<number, PartitionCache<TKey, TValue>>();
  /** The same caches indexed by partition number: the hot path's lookup. */
  private readonly byPartition: Array<PartitionCache<TKey, TValue> | undefined> = [];
  private readonly stringKeys: boolean;
  private writing: Promise<void> = Promise.resolve();
  /** The first failed write: the store takes no more (its checkpoint stays where it was last stored). */
  private failure: unknown;

  constructor(
    readonly url: string,
    options: StoreOptions<TKey, TValue>,
  ) {
    this.table = options.table;
    this.keyCodec = options.key;
    this.valueCodec = options.value;
    this.stringKeys = options.key.name === 'string';
  }

  abstract open(): Promise<void>;
  /** Reads a partition's persisted entries; drivers that keep nothing return none. */
  protected abstract load(partition: number): Promise<LoadedPartition>;
  protected abstract persist(batches: readonly PartitionBatch[]): Promise<void>;
  protected abstract release(): Promise<void>;
  abstract inspect(): Promise<readonly StoredPartition[]>;

  async assign(partition: number): Promise<PartitionCheckpoint | undefined> {
    const existing = this.caches.get(partition);
    if (existing) return existing.checkpoint;
    const cache = new PartitionCache<TKey, TValue>();
    const loaded = await this.load(partition);
    cache.checkpoint = loaded.checkpoint;
    for await (const chunk of loaded.entries) {
      for (const [keyBytes, valueBytes] of chunk) {
        const key = this.keyCodec.decode(keyBytes);
        const cacheKey = this.stringKeys ? key : keyBytes.toString('latin1');
        cache.entries.set(cacheKey, {
          cacheKey,
          key,
          value: this.valueCodec.decode(valueBytes),
          dirty: false,
          deleted: false,
          rawKey: undefined,
          rawValue: undefined,
        });
      }
    }
    this.caches.set(partition, cache);
    this.byPartition[partition] = cache;
    return cache.checkpoint;
  }

  async revoke(partition: number): Promise<void> {
    const cache = this.caches.get(partition);
    if (cache === undefined) return;
    const [batch] = this.takeChanges({ partition });
    const checkpoint = cache.checkpointDirty ? cache.checkpoint : undefined;
    this.caches.delete(partition);
    this.byPartition[partition] = undefined;
    if (batch !== undefined || checkpoint !== undefined) await this.write([{ partition, writes: batch?.writes ?? [], checkpoint }]);
    else await this.writing;
  }

  /** The partitions in the cache, with their sizes (what a memory store holds). */
  protected cached(): StoredPartition[] {
    return this.partitions().map((partition) => ({ partition, keys: this.size(partition), checkpoint: this.checkpoint(partition) }));
  }

  partitions(): readonly number[] {
    return [...this.caches.keys()].sort((a, b) => a - b);
  }

  private cacheOf(partition: number): PartitionCache<TKey, TValue> {
    const cache = this.byPartition[partition];
    if (cache === undefined) {
      throw new TableAccessError(
        { table: this.table, partition },
        `this worker does not hold the partition (held: ${this.partitions().join(', ') || 'none'}); ` +
          'tables are read and written on the partition of the event being processed.',
      );
    }
    return cache;
  }

  private cacheKey(key: TKey): unknown {
    return this.stringKeys ? key : this.keyCodec.encode(key).toString('latin1');
  }

  has(partition: number, key: TKey): boolean {
    return this.cacheOf(partition).entries.has(this.cacheKey(key));
  }

  getSync(partition: number, key: TKey): TValue | undefined {
    return this.cacheOf(partition).entries.get(this.cacheKey(key))?.value;
  }

  async get(partition: number, key: TKey): Promise<TValue | undefined> {
    return this.getSync(partition, key);
  }

  set(partition: number, key: TKey, value: TValue): void {
    const cache = this.cacheOf(partition);
    const cacheKey = this.cacheKey(key);
    const entry = cache.entries.get(cacheKey);
    if (cache.undo !== undefined) cache.remember(cacheKey, key, entry);
    if (entry === undefined) {
      const created: Entry<TKey, TValue> = { cacheKey, key, value, dirty: true, deleted: false, rawKey: undefined, rawValue: undefined };
      cache.entries.set(cacheKey, created);
      cache.dirty.push(created);
      return;
    }
    entry.value = value;
    entry.rawValue = undefined;
    if (!entry.dirty) {
      entry.dirty = true;
      cache.dirty.push(entry);
    }
  }

  delete(partition: number, key: TKey): boolean {
    const cache = this.cacheOf(partition);
    const cacheKey = this.cacheKey(key);
    const entry = cache.entries.get(cacheKey);
    if (entry === undefined) return false;
    if (cache.undo !== undefined) cache.remember(cacheKey, key, entry);
    cache.entries.delete(cacheKey);
    entry.deleted = true;
    if (!entry.dirty) {
      entry.dirty = true;
      cache.dirty.push(entry);
    }
    return true;
  }

  *entries(partition: number): IterableIterator<[TKey, TValue]> {
    for (const entry of this.cacheOf(partition).entries.values()) yield [entry.key, entry.value];
  }

  size(partition: number): number {
    return this.cacheOf(partition).entries.size;
  }

  applyChangelog(partition: number, keyBytes: Buffer, valueBytes: Buffer | null): void {
    const cache = this.cacheOf(partition);
    const key = this.keyCodec.decode(keyBytes);
    const cacheKey = this.stringKeys ? key : keyBytes.toString('latin1');
    const entry = cache.entries.get(cacheKey);
    if (valueBytes === null) {
      if (entry === undefined) {
        // The key may be persisted though not cached (never true of a fully loaded partition,
        // but cheap to be sure of): record the delete so the store forgets it too.
        const gone: Entry<TKey, TValue> = { cacheKey, key, value: undefined as TValue, dirty: true, deleted: true, rawKey: keyBytes, rawValue: undefined };
        cache.dirty.push(gone);
        return;
      }
      cache.entries.delete(cacheKey);
      entry.deleted = true;
      if (!entry.dirty) {
        entry.dirty = true;
        cache.dirty.push(entry);
      }
      return;
    }
    const value = this.valueCodec.decode(valueBytes);
    if (entry === undefined) {
      const created: Entry<TKey, TValue> = { cacheKey, key, value, dirty: true, deleted: false, rawKey: keyBytes, rawValue: valueBytes };
      cache.entries.set(cacheKey, created);
      cache.dirty.push(created);
      return;
    }
    entry.value = value;
    entry.rawKey = keyBytes;
    entry.rawValue = valueBytes;
    if (!entry.dirty) {
      entry.dirty = true;
      cache.dirty.push(entry);
    }
  }

  checkpoint(partition: number): PartitionCheckpoint | undefined {
    return this.caches.get(partition)?.checkpoint;
  }

  setCheckpoint(partition: number, checkpoint: PartitionCheckpoint): void {
    const cache = this.cacheOf(partition);
    cache.checkpoint = checkpoint;
    cache.checkpointDirty = true;
  }

  pending(): number {
    let count = 0;
    for (const cache of this.caches.values()) count += cache.dirty.length;
    return count;
  }

  mark(partition: number): void {
    const cache = this.cacheOf(partition);
    if (cache.undo === undefined) cache.undo = [];
    else {
      // Drop references held by the previous scope's slots so that they do not pin old values.
      for (let i = 0; i < cache.undoCount; i++) cache.undo[i]!.value = undefined;
    }
    cache.undoCount = 0;
  }

  takeChanges(options: TakeChangesOptions = {}): PartitionBatch[] {
    const { partition: only, excludeMarked = () => false, rollBackMarked = false } = options;
    const batches: PartitionBatch[] = [];
    for (const [partition, cache] of this.caches) {
      if (cache.dirty.length === 0 || (only !== undefined && partition !== only)) continue;
      const dirty = cache.dirty;
      cache.dirty = [];
      const undo = cache.undo !== undefined && cache.undoCount > 0 && excludeMarked(partition) ? cache.scope() : undefined;
      const writes: StoreWrite[] = [];
      for (const entry of dirty) {
        entry.dirty = false;
        if (undo?.has(entry.cacheKey)) continue;
        writes.push({
          key: entry.rawKey ?? this.keyCodec.encode(entry.key),
          value: entry.deleted ? null : (entry.rawValue ?? this.valueCodec.encode(entry.value)),
          partition,
        });
        entry.rawKey = undefined;
        entry.rawValue = undefined;
      }
      if (undo !== undefined) {
        // The scope's keys go out as they were before it, and their current state stays pending.
        for (const [cacheKey, before] of undo) {
          writes.push({ key: this.keyCodec.encode(before.key), value: before.present ? this.valueCodec.encode(before.value as TValue) : null, partition });
          if (rollBackMarked) {
            if (before.present) {
              cache.entries.set(cacheKey, { cacheKey, key: before.key, value: before.value as TValue, dirty: false, deleted: false, rawKey: undefined, rawValue: undefined });
            } else {
              cache.entries.delete(cacheKey);
            }
            continue;
          }
          const live = cache.entries.get(cacheKey);
          if (live !== undefined) {
            live.dirty = true;
            cache.dirty.push(live);
          } else {
            cache.dirty.push({ cacheKey, key: before.key, value: undefined as TValue, dirty: true, deleted: true, rawKey: undefined, rawValue: undefined });
          }
        }
      }
      if (undo !== undefined && rollBackMarked) cache.undoCount = 0; // the scope is undone
      batches.push({ partition, writes, checkpoint: undefined });
    }
    return batches;
  }

  write(batches: readonly PartitionBatch[]): Promise<void> {
    // Writes run one after another so that batches reach the store in the order they were taken.
    // After a failed one, none: a later batch's checkpoint would claim the lost batch's changes
    // are stored, and a restart would not replay them from the changelog.
    const next = this.writing.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return batches.length === 0 ? undefined : this.persist(batches);
    }).catch((error: unknown) => {
      this.failure ??= error;
      throw error;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  flush(): Promise<void> {
    const taken = new Map(this.takeChanges().map((batch) => [batch.partition, batch]));
    const batches: PartitionBatch[] = [];
    for (const [partition, cache] of this.caches) {
      const batch = taken.get(partition);
      const checkpoint = cache.checkpointDirty ? cache.checkpoint : undefined;
      cache.checkpointDirty = false;
      if (batch === undefined && checkpoint === undefined) continue;
      batches.push({ partition, writes: batch?.writes ?? [], checkpoint });
    }
    return this.write(batches);
  }

  async abandon(): Promise<void> {
    this.caches.clear();
    this.byPartition.length = 0;
    await this.writing;
    await this.release();
  }

  async close(): Promise<void> {
    await this.flush();
    this.caches.clear();
    this.byPartition.length = 0;
    await this.release();
  }
}

/** The partition a store key prefix encodes (4 bytes, big-endian), for drivers that share one keyspace. */
export function partitionPrefix(tag: number, partition: number): Buffer {
  const prefix = Buffer.allocUnsafe(5);
  prefix[0] = tag;
  prefix.writeUInt32BE(partition, 1);
  return prefix;
}
