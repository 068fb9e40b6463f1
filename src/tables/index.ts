import type { AppInternals } from '../app/hooks.js';
import { Table, type TableOptions } from './table.js';

export { Table, type TableOptions, type TablePartitionStats, type InferTableKey, type InferTableValue } from './table.js';
export { WindowedTable, WindowSet, windowKeyCodec, type WindowedOptions, type WindowWriteOptions, type RelativeTo, type WindowKey } from './windowed.js';
export { tumbling, hopping, sliding, windowRanges, windowAt, closesAt, isClosed, type WindowRange, type WindowSpec } from './windows.js';
export type { RecoveryReport } from './state.js';

/**
 * Declares a table on an app (what `app.table(name, options)` calls). With a `default` factory,
 * `get` never returns undefined.
 */
export function defineTable<TKey, TValue>(
  internals: AppInternals,
  name: string,
  options: TableOptions<TKey, TValue> & { readonly default: () => TValue },
): Table<TKey, TValue, never>;
export function defineTable<TKey, TValue>(internals: AppInternals, name: string, options: TableOptions<TKey, TValue>): Table<TKey, TValue, undefined>;
export function defineTable<TKey, TValue>(internals: AppInternals, name: string, options: TableOptions<TKey, TValue>): Table<TKey, TValue, unknown> {
  return new Table<TKey, TValue, unknown>(internals, name, options);
}

export { tablesOf } from './registry.js';
