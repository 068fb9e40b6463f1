import { CachedStore, type LoadedPartition, type PartitionBatch } from './cache.js';
import type { StoredPartition } from './types.js';

/** `memory://`: the cache alone. Nothing survives the process; a restart restores from the changelog. */
export class MemoryStore<TKey, TValue> extends CachedStore<TKey, TValue> {
  async open(): Promise<void> {}

  protected async load(): Promise<LoadedPartition> {
    return { checkpoint: undefined, entries: (async function* () {})() };
  }

  protected async persist(_batches: readonly PartitionBatch[]): Promise<void> {}

  protected async release(): Promise<void> {}

  async inspect(): Promise<readonly StoredPartition[]> {
    return this.cached();
  }
}
