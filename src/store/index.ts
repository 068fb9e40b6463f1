import { ConfigError } from '../errors.js';
import { LevelStore } from './level.js';
import { MemoryStore } from './memory.js';
import type { Store, StoreOptions } from './types.js';

export type { PartitionBatch, PartitionCheckpoint, Store, StoreFactory, StoreOptions, StoredPartition, StoreWrite, TakeChangesOptions } from './types.js';

/**
 * Opens the store a URL names: `memory://`, or `level://<dir>` (relative to the working
 * directory, e.g. `level://./data`, or absolute, `level:///var/lib/app`).
 */
export function createStore<TKey, TValue>(url: string, options: StoreOptions<TKey, TValue>): Store<TKey, TValue> {
  if (url === 'memory://' || url === 'memory:' || url === 'memory') return new MemoryStore(url, options);
  if (url.startsWith('level://')) {
    const directory = url.slice('level://'.length);
    if (directory === '') {
      throw new ConfigError('store', `"${url}" names no directory: write level://<dir>, e.g. level://./data`);
    }
    return new LevelStore(url, directory, options);
  }
  throw new ConfigError('store', `unknown store URL "${url}" for table ${options.table}: use memory:// or level://<dir>`);
}
