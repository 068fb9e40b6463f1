import type { AppInternals } from '../app/hooks.js';
import type { TopicBinding } from '../serde/binding.js';
import { registerTable } from './registry.js';
import { TableState, type RecoveryReport, type TableSettings } from './state.js';
import { WindowedTable, type WindowedOptions } from './windowed.js';
import { hopping, sliding, tumbling } from './windows.js';

export interface TableOptions<TKey, TValue> extends TableSettings<TKey, TValue> {
  /** Made for a key that has no value yet (`counts.get(url)` is 0 with `default: () => 0`). */
  readonly default?: () => TValue;
  /** One line for `mephisto tables`. */
  readonly help?: string;
}

export type InferTableKey<TTable> = TTable extends Table<infer TKey, any, any> ? TKey : never;
export type InferTableValue<TTable> = TTable extends Table<any, infer TValue, any> ? TValue : never;

/** Per partition, how many keys this worker holds. */
export interface TablePartitionStats {
  readonly partition: number;
  readonly keys: number;
}

/**
 * Partitioned, durable key/value state, in the spirit of Faust's `Table`: a Map-like view whose
 * partition is that of the event being processed. `TMissing` is what `get` returns for a key with
 * no value: `undefined`, or `never` when the table has a `default` factory.
 *
 * Every change is sent to the compacted changelog `<app>-<table>-changelog` when the app commits,
 * and kept in the store (`memory://` or `level://<dir>`); a restarted worker restores its
 * partitions from both before its agents see an event.
 */
export class Table<TKey, TValue, TMissing = undefined> implements Iterable<[TKey, TValue]> {
  /** @internal */
  readonly state: TableState<TKey, TValue>;
  readonly help: string | undefined;
  private readonly makeDefault: (() => TValue) | undefined;
  private windowedView: WindowedTable<TKey, TValue, TMissing> | undefined;

  constructor(internals: AppInternals, name: string, options: TableOptions<TKey, TValue>) {
    this.state = new TableState(name, internals, options);
    this.makeDefault = options.default;
    this.help = options.help;
    registerTable(internals, this);
  }

  get name(): string {
    return this.state.table;
  }

  get changelogTopic(): string {
    return this.state.changelogTopic;
  }

  get isGlobal(): boolean {
    return this.state.global;
  }

  /** Partition count (known once the app started, or from the options). */
  get partitions(): number | undefined {
    return this.state.partitions;
  }

  /** How each partition held by this worker was restored at its last assignment. */
  get recoveries(): readonly RecoveryReport[] {
    return this.state.recoveries;
  }

  private plain(): void {
    if (this.windowedView !== undefined) {
      throw new TypeError(`Table ${this.name} is windowed: read and write it through the view .${this.windowedView.spec.kind}() returned`);
    }
  }

  /** The key's value on the current event's partition, or the default (not stored) when missing. */
  get(key: TKey): TValue | TMissing {
    this.plain();
    const value = this.state.read(key);
    if (value !== undefined) return value;
    return (this.makeDefault === undefined ? undefined : this.makeDefault()) as TValue | TMissing;
  }

  set(key: TKey, value: TValue): this {
    this.plain();
    const partition = this.state.writeTarget();
    if (partition !== undefined) this.state.store.set(partition, key, value);
    return this;
  }

  /** `set(key, fn(get(key)))`, returning the new value. */
  update(key: TKey, fn: (value: TValue | TMissing) => TValue): TValue {
    const value = fn(this.get(key));
    this.set(key, value);
    return value;
  }

  /** Deletes a key (a tombstone in the changelog); returns whether it was there. */
  delete(key: TKey): boolean {
    this.plain();
    const partition = this.state.writeTarget();
    if (partition === undefined) return false;
    return this.state.store.delete(partition, key);
  }

  has(key: TKey): boolean {
    this.plain();
    return this.state.contains(key);
  }

  /** Keys held by this worker, across its partitions. */
  get size(): number {
    return this.stats().reduce((sum, s) => sum + s.keys, 0);
  }

  stats(): readonly TablePartitionStats[] {
    return this.state.heldPartitions().map((partition) => ({ partition, keys: this.state.store.size(partition) }));
  }

  /** Every entry this worker holds, partition by partition. */
  *entries(): IterableIterator<[TKey, TValue]> {
    this.plain();
    for (const partition of this.state.heldPartitions()) yield* this.state.store.entries(partition);
  }

  *keys(): IterableIterator<TKey> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): IterableIterator<TValue> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[TKey, TValue]> {
    return this.entries();
  }

  /** Windows of `size` ms back to back; closed windows are deleted `expires` ms after their end. */
  tumbling(size: number, options: WindowedOptions<TKey, TValue> = {}): WindowedTable<TKey, TValue, TMissing> {
    return this.windowed(tumbling(size, options.expires ?? 0), options);
  }

  /** Windows of `size` ms starting every `step` ms. */
  hopping(size: number, step: number, options: WindowedOptions<TKey, TValue> = {}): WindowedTable<TKey, TValue, TMissing> {
    return this.windowed(hopping(size, step, options.expires ?? 0), options);
  }

  /** Faust's sliding windows: each event's window reaches `before` ms back and `after` ms ahead. */
  sliding(before: number, after: number, options: WindowedOptions<TKey, TValue> = {}): WindowedTable<TKey, TValue, TMissing> {
    return this.windowed(sliding(before, after, options.expires ?? 0), options);
  }

  private windowed(spec: ReturnType<typeof tumbling>, options: WindowedOptions<TKey, TValue>): WindowedTable<TKey, TValue, TMissing> {
    if (this.windowedView !== undefined) throw new TypeError(`Table ${this.name} is already windowed`);
    this.windowedView = new WindowedTable<TKey, TValue, TMissing>(this.state, spec, this.makeDefault, options);
    return this.windowedView;
  }

  /** @internal the windowed view, when there is one (for the HTTP view and the CLI). */
  get windows(): WindowedTable<TKey, TValue, TMissing> | undefined {
    return this.windowedView;
  }
}

export type FinalResultsBinding<TKey, TValue> = TopicBinding<TKey, TValue>;
