import type { EventContext } from '../app/hooks.js';
import type { TopicBinding } from '../serde/binding.js';
import type { Codec } from '../serde/codec.js';
import type { PartitionListener, TableState } from './state.js';
import { assignWindows, closesAt, windowAt, windowOf, type WindowRange, type WindowSpec } from './windows.js';

/** Which time a windowed read or write is relative to. */
export type RelativeTo = 'stream' | 'now' | ((event: EventContext) => number);

export interface WindowedOptions<TKey, TValue> {
  /**
   * Grace period in ms after a window's end: late events still count until then; at
   * `end + expires` stream time the window closes (onWindowClose, final result) and is deleted.
   */
  readonly expires?: number;
  /** Called exactly once per closed window, with its final value. Errors are logged, not thrown. */
  readonly onWindowClose?: (key: TKey, value: TValue, window: WindowRange) => void;
  /**
   * Final-result mode: each closed window's value is sent to this topic, and only closed windows
   * (headers `window-start` and `window-end` give the window, in ms).
   */
  readonly finalResults?: TopicBinding<TKey, TValue>;
  /** Reads and writes are relative to the event's time (`stream`, the default), `now`, or a function of the event. */
  readonly relativeTo?: RelativeTo;
}

/** A (key, window) pair, as a windowed table stores it. */
export interface WindowKey<TKey> {
  readonly key: TKey;
  readonly start: number;
}

/** (key, window start) as 8 bytes of the start (IEEE double, big-endian) then the key's bytes. */
export function windowKeyCodec<TKey>(key: Codec<TKey>): Codec<WindowKey<TKey>> {
  return Object.freeze({
    name: `window(${key.name})`,
    encode(value: WindowKey<TKey>): Buffer {
      const keyBytes = key.encode(value.key);
      const buffer = Buffer.allocUnsafe(8 + keyBytes.length);
      buffer.writeDoubleBE(value.start, 0);
      keyBytes.copy(buffer, 8);
      return buffer;
    },
    decode(buffer: Buffer): WindowKey<TKey> {
      if (buffer.length < 8) throw new RangeError(`a windowed key needs at least 8 bytes, got ${buffer.length}`);
      return { start: buffer.readDoubleBE(0), key: key.decode(buffer.subarray(8)) };
    },
  });
}

class WindowCore<TKey, TValue> implements PartitionListener {
  /** Events that came too late for at least one of their windows (not merged there). */
  lateEvents = 0;
  /** (event, window) writes refused because the window had closed. */
  lateWrites = 0;
  /** Windows closed (callback fired and deleted). */
  closedWindows = 0;
  /** Per partition: window start -> keys with a value in that window. */
  private readonly index = new Map<number, Map<number, Map<unknown, TKey>>>();
  private readonly nextClose = new Map<number, number>();
  private readonly keyId: (key: TKey) => unknown;

  constructor(
    readonly state: TableState<WindowKey<TKey>, TValue>,
    readonly spec: WindowSpec,
    readonly makeDefault: (() => TValue) | undefined,
    readonly options: WindowedOptions<TKey, TValue>,
    readonly keyCodec: Codec<TKey>,
  ) {
    this.keyId = keyCodec.name === 'string' ? (key) => key : (key) => keyCodec.encode(key).toString('latin1');
    state.listener = this;
    const final = options.finalResults;
    if (final !== undefined) {
      state.outputTopics.push({
        topic: final.name,
        partitions: final.partitions ?? state.partitions ?? 1,
        ...(final.replicationFactor === undefined ? {} : { replicationFactor: final.replicationFactor }),
        ...(final.config === undefined ? {} : { config: final.config }),
      });
    }
  }

  restored(partition: number): void {
    const windows = new Map<number, Map<unknown, TKey>>();
    for (const [{ key, start }] of this.state.store.entries(partition)) this.track(windows, key, start);
    this.index.set(partition, windows);
    this.updateNextClose(partition);
  }

  revoked(partition: number): void {
    this.index.delete(partition);
    this.nextClose.delete(partition);
  }

  private track(windows: Map<number, Map<unknown, TKey>>, key: TKey, start: number): void {
    let keys = windows.get(start);
    if (keys === undefined) windows.set(start, (keys = new Map()));
    keys.set(this.keyId(key), key);
  }

  private updateNextClose(partition: number): void {
    let next = Infinity;
    for (const start of this.index.get(partition)?.keys() ?? []) next = Math.min(next, closesAt(this.spec, windowOf(this.spec, start)));
    this.nextClose.set(partition, next);
  }

  timeOf(relativeTo: RelativeTo, event: EventContext | undefined): number {
    if (relativeTo === 'now' || event === undefined) return this.state.internals.clock.now();
    if (relativeTo === 'stream') return event.timestamp;
    return relativeTo(event);
  }

  /** Applies `fn` to the key's value in every open window of `timestamp`; late windows are refused. */
  write(key: TKey, timestamp: number, fn: (value: TValue | undefined) => TValue | undefined): void {
    const partition = this.state.writeTarget();
    if (partition === undefined) return; // a replayed event already in the changelog
    const streamTime = this.state.advanceStreamTime(partition, timestamp);
    if (streamTime >= (this.nextClose.get(partition) ?? Infinity)) this.closeWindows(partition, streamTime);
    const { open, late } = assignWindows(this.spec, timestamp, streamTime);
    if (late.length > 0) this.late(partition, key, timestamp, streamTime, late);
    const store = this.state.store;
    let windows = this.index.get(partition);
    if (windows === undefined) this.index.set(partition, (windows = new Map()));
    for (const range of open) {
      const windowKey = { key, start: range.start };
      const next = fn(store.getSync(partition, windowKey));
      if (next === undefined) {
        store.delete(partition, windowKey);
        windows.get(range.start)?.delete(this.keyId(key));
        continue;
      }
      store.set(partition, windowKey, next);
      this.track(windows, key, range.start);
      const closes = closesAt(this.spec, range);
      if (closes < (this.nextClose.get(partition) ?? Infinity)) this.nextClose.set(partition, closes);
    }
  }

  private late(partition: number, key: TKey, timestamp: number, streamTime: number, late: readonly WindowRange[]): void {
    this.lateEvents++;
    this.lateWrites += late.length;
    const count = this.lateEvents;
    // Logged at the 1st, 10th, 100th... late event, so that a flood does not flood the log.
    if (Number.isInteger(Math.log10(count))) {
      this.state.logger.warn('late event beyond the grace period: not counted in its closed window(s)', {
        table: this.state.table,
        partition,
        key: this.keyCodec.name === 'string' ? key : undefined,
        eventTime: timestamp,
        streamTime,
        windows: late.map((w) => `[${w.start},${w.end})`).join(' '),
        lateEventsSoFar: count,
      });
    }
  }

  /** Closes every window of the partition that ends (plus grace) at or before `streamTime`. */
  private closeWindows(partition: number, streamTime: number): void {
    const windows = this.index.get(partition);
    if (windows === undefined) return;
    const closing = [...windows.keys()].filter((start) => closesAt(this.spec, windowOf(this.spec, start)) <= streamTime).sort((a, b) => a - b);
    for (const start of closing) {
      const keys = windows.get(start)!;
      windows.delete(start);
      const range = windowOf(this.spec, start);
      for (const key of keys.values()) {
        const windowKey = { key, start };
        const value = this.state.store.getSync(partition, windowKey);
        if (value === undefined) continue;
        this.closedWindows++;
        this.emitClosed(key, value, range);
        this.state.store.delete(partition, windowKey);
      }
    }
    this.updateNextClose(partition);
  }

  private emitClosed(key: TKey, value: TValue, range: WindowRange): void {
    const { onWindowClose, finalResults } = this.options;
    if (onWindowClose !== undefined) {
      try {
        onWindowClose(key, value, range);
      } catch (error) {
        this.state.logger.error('onWindowClose threw; the window is closed all the same', { table: this.state.table, error });
      }
    }
    if (finalResults !== undefined) {
      this.state.internals
        .send(finalResults.name, {
          key: finalResults.key.encode(key),
          value: finalResults.value.encode(value),
          headers: { 'window-start': String(range.start), 'window-end': String(range.end) },
        })
        .catch((error: unknown) => {
          this.state.logger.error('could not send a final window result', { table: this.state.table, topic: finalResults.name, error });
        });
    }
  }

  read(key: TKey, at: number): TValue | undefined {
    return this.state.read({ key, start: windowAt(this.spec, at).start });
  }
}

/** A key's windows, read relative to a time (Faust's WindowSet). */
export class WindowSet<TKey, TValue, TMissing> {
  constructor(
    private readonly core: WindowCore<TKey, TValue>,
    readonly key: TKey,
    private readonly relativeTo: RelativeTo,
  ) {}

  private or(value: TValue | undefined): TValue | TMissing {
    if (value !== undefined) return value;
    return (this.core.makeDefault === undefined ? undefined : this.core.makeDefault()) as TValue | TMissing;
  }

  /** The value in the window holding `timestamp`. */
  at(timestamp: number): TValue | TMissing {
    return this.or(this.core.read(this.key, timestamp));
  }

  /** The window of the time the table is relative to (the event's time by default). */
  value(): TValue | TMissing {
    return this.at(this.core.timeOf(this.relativeTo, this.core.state.internals.currentEvent()));
  }

  /** The window of the current event's time (the clock's outside handlers). */
  current(): TValue | TMissing {
    return this.at(this.core.timeOf('stream', this.core.state.internals.currentEvent()));
  }

  /** The window of the wall clock (the app's clock). */
  now(): TValue | TMissing {
    return this.at(this.core.state.internals.clock.now());
  }

  /** The window `ms` before the relative time. */
  delta(ms: number): TValue | TMissing {
    return this.at(this.core.timeOf(this.relativeTo, this.core.state.internals.currentEvent()) - ms);
  }
}

export interface WindowWriteOptions {
  /** The time to window by, instead of the table's relative time (e.g. a field of the value). */
  readonly timestamp?: number;
}

/**
 * A windowed view of a table: values per (key, window). Writes go to every open window of the
 * relative time (one for tumbling and sliding, size/step for hopping); reads pick one window.
 */
export class WindowedTable<TKey, TValue, TMissing = undefined> {
  private readonly core: WindowCore<TKey, TValue>;

  constructor(
    state: TableState<TKey, TValue> | WindowCore<TKey, TValue>,
    spec?: WindowSpec,
    makeDefault?: (() => TValue) | undefined,
    options: WindowedOptions<TKey, TValue> = {},
    private readonly relativeTo: RelativeTo = options.relativeTo ?? 'stream',
  ) {
    if (state instanceof WindowCore) {
      this.core = state;
      return;
    }
    const keyCodec = state.keyCodec;
    const windowed = state as unknown as TableState<WindowKey<TKey>, TValue>;
    windowed.useKeyCodec(windowKeyCodec(keyCodec));
    this.core = new WindowCore(windowed, spec!, makeDefault, options, keyCodec);
  }

  get name(): string {
    return this.core.state.table;
  }

  get spec(): WindowSpec {
    return this.core.spec;
  }

  get lateEvents(): number {
    return this.core.lateEvents;
  }

  get lateWrites(): number {
    return this.core.lateWrites;
  }

  get closedWindows(): number {
    return this.core.closedWindows;
  }

  /** The same table, read and written relative to the app's clock. */
  relativeToNow(): WindowedTable<TKey, TValue, TMissing> {
    return new WindowedTable(this.core, undefined, undefined, {}, 'now');
  }

  /** The same table, relative to the event's time. */
  relativeToStream(): WindowedTable<TKey, TValue, TMissing> {
    return new WindowedTable(this.core, undefined, undefined, {}, 'stream');
  }

  /** The same table, relative to a time taken from the event (a field of its value, say). */
  relativeToField(time: (event: EventContext) => number): WindowedTable<TKey, TValue, TMissing> {
    return new WindowedTable(this.core, undefined, undefined, {}, time);
  }

  get(key: TKey): WindowSet<TKey, TValue, TMissing> {
    return new WindowSet(this.core, key, this.relativeTo);
  }

  private time(options: WindowWriteOptions): number {
    return options.timestamp ?? this.core.timeOf(this.relativeTo, this.core.state.internals.currentEvent());
  }

  /** `value = fn(value)` in every open window (starting from the default, or undefined). */
  update(key: TKey, fn: (value: TValue | TMissing) => TValue, options: WindowWriteOptions = {}): void {
    const makeDefault = this.core.makeDefault;
    this.core.write(key, this.time(options), (value) =>
      fn((value !== undefined ? value : makeDefault === undefined ? undefined : makeDefault()) as TValue | TMissing),
    );
  }

  set(key: TKey, value: TValue, options: WindowWriteOptions = {}): void {
    this.core.write(key, this.time(options), () => value);
  }

  delete(key: TKey, options: WindowWriteOptions = {}): void {
    this.core.write(key, this.time(options), () => undefined);
  }

  /** Every (key, window, value) this worker holds. */
  *windows(): IterableIterator<{ key: TKey; window: WindowRange; value: TValue }> {
    const state = this.core.state;
    for (const partition of state.heldPartitions()) {
      for (const [{ key, start }, value] of state.store.entries(partition)) {
        yield { key, window: windowOf(this.core.spec, start), value };
      }
    }
  }
}
