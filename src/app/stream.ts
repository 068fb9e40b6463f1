/**
 * Streams: what an agent's handler iterates with `for await`.
 *
 * A stream reads one Input (the bounded queue of its agent instance for one topic or channel),
 * decodes each record with the topic's wire codecs, and runs its operators. `filter`, `map`,
 * `items`, `events`, `enumerate` and `echo` are fused into one loop over an operator list, run
 * synchronously per element unless an operator returns a promise, so an element costs one
 * resolved promise (the one `for await` needs), not one per operator.
 *
 * Acknowledgement: by default an element is acknowledged when the handler asks for the next one
 * (its work for that element is done, including what it sent or yielded). Elements an operator
 * drops (a filter) are acknowledged at once. With `take(n)` a whole batch is acknowledged when the
 * next batch is asked for. With the agent option `ack: 'manual'`, nothing is acknowledged until
 * the handler calls `stream.ack(event)` (events come from `events()`).
 */
import { ConfigError } from '../errors.js';
import type { Codec } from '../serde/codec.js';
import type { WireCodec } from '../serde/wire.js';
import type { ConsumerRecord, RangeDecoder, RecordHeaders } from '../transport/types.js';
import type { Clock } from './clock.js';
import type { EventContext } from './hooks.js';
import { isChannelMessage, type Input, type InputItem } from './input.js';
import type { Sink } from './topic.js';

/** An element with everything known about where it came from. */
export interface Event<TKey, TValue> extends EventContext {
  readonly key: TKey;
  readonly value: TValue;
  /** Acknowledges the event (needed only with the agent option `ack: 'manual'`). Idempotent. */
  ack(): void;
}

/** What a stream needs from the agent instance that owns it. */
export interface StreamHost {
  readonly clock: Clock;
  /** The item most recently handed to the handler, and its input (set by tracking streams). */
  current: InputItem | undefined;
  currentInput: Input | undefined;
  /** Set by `take()`: the batch in the handler's hands holds events of more than one partition. */
  batchSpansPartitions: boolean;
  readonly manualAck: boolean;
  /**
   * Handles a record whose bytes could not be decoded (error policy): true when it was dead-lettered
   * or skipped (the stream acks it), false when the worker stops instead (it stays unacknowledged,
   * so no commit passes it and a restart reads it again).
   */
  onDecodeError(input: Input, item: InputItem, error: unknown): boolean;
  /** Sends a value to a sink (echo, forwarding). */
  sendTo(sink: Sink<unknown, unknown>, key: unknown, value: unknown, headers: RecordHeaders | undefined): void;
  /**
   * Starts forwarding `upstream` to a repartition topic keyed by `keyFn`, and returns the input
   * this instance reads the repartitioned records from.
   */
  repartition(upstream: Stream<unknown, unknown>, name: string, keyFn: (value: unknown) => unknown, key: Codec<unknown> | undefined, value: Codec<unknown> | undefined, partitions: number | undefined): Input;
  /** Starts forwarding `upstream` to `topic` (key kept) and returns the input reading it back. */
  through(upstream: Stream<unknown, unknown>, topic: Sink<unknown, unknown>): Input;
  /** The value codec of the topic an input reads (for repartitioning unchanged values). */
  valueCodecOf(input: Input): Codec<unknown> | undefined;
}

type Op =
  | { readonly kind: 'map'; readonly fn: (value: any, core: StreamCore) => unknown; readonly changesValue: boolean; readonly needsKey: boolean }
  | { readonly kind: 'filter'; readonly fn: (value: any) => unknown };

/** The state shared by a stream and the streams derived from it (they read the same input). */
export class StreamCore {
  /** Decoded key of the current element (only when an operator needs it). */
  key: unknown = undefined;
  item: InputItem | undefined = undefined;
  /** Whether this core's items are the handler's current event (not so for forwarded upstreams). */
  trackCurrent = true;
  constructor(
    readonly input: Input,
    readonly host: StreamHost,
  ) {}

  context(): EventContext | undefined {
    const item = this.item;
    if (item === undefined) return undefined;
    if (isChannelMessage(item)) {
      return { topic: this.input.source, partition: 0, offset: '-1', timestamp: item.timestamp, headers: item.headers, record: undefined };
    }
    return { topic: item.topic, partition: item.partition, offset: item.offset, timestamp: item.timestamp, headers: item.headers, record: item };
  }
}

const SKIP: unique symbol = Symbol('skip');
const EMPTY: unique symbol = Symbol('empty');
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
const DONE_PROMISE = Promise.resolve(DONE);

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

export interface TakeOptions {
  /**
   * Return a partial batch once this many ms passed since the batch was asked for. `0`: return
   * at once whatever is queued (at least one value): the high-throughput way to consume, since
   * the per-element cost of `for await` is paid once per batch.
   */
  readonly within?: number;
}

export interface GroupByOptions<TKey, TValue> {
  /** Names the repartition topic: `<app>-<agent>-<name>-repartition`. */
  readonly name: string;
  /** Codec of the new key (default: UTF-8 strings). */
  readonly key?: Codec<TKey>;
  /** Codec of the values on the repartition topic; required after a `map` changed the values. */
  readonly value?: Codec<TValue>;
  /**
   * Partitions of the repartition topic. Default: those of the topic the stream reads (as in
   * Kafka Streams and Faust), so that a table fed by the grouped stream has as many partitions as
   * the source; `topicPartitions` when the stream reads a channel. With another count, a table
   * fed by the grouped stream names the repartition topic as its `source`.
   */
  readonly partitions?: number;
}

/**
 * A typed, asynchronous sequence of values; every operator returns a new Stream over the same
 * source, its element type inferred from the operator (`stream.filter(...).map(o => o.amount)` is
 * a `Stream<number>`).
 */
export class Stream<T, TKey = unknown> implements AsyncIterable<T> {
  /** @internal */
  readonly core: StreamCore;
  /** @internal */
  readonly ops: readonly Op[];
  readonly #needsKey: boolean;
  readonly #changesValue: boolean;

  /** @internal Streams are made by the runtime, never by users. */
  constructor(core: StreamCore, ops: readonly Op[] = []) {
    this.core = core;
    this.ops = ops;
    this.#needsKey = ops.some((op) => op.kind === 'map' && op.needsKey);
    this.#changesValue = ops.some((op) => op.kind === 'map' && op.changesValue);
  }

  #with(op: Op): Stream<any, any> {
    return new Stream(this.core, [...this.ops, op]);
  }

  // -------------------------------------------------------------------------------------------
  // Operators

  filter<S extends T>(predicate: (value: T) => value is S): Stream<S, TKey>;
  filter(predicate: (value: T) => boolean | Promise<boolean>): Stream<T, TKey>;
  filter(predicate: (value: T) => unknown): Stream<T, TKey> {
    return this.#with({ kind: 'filter', fn: predicate });
  }

  map<U>(fn: (value: T) => U | Promise<U>): Stream<U, TKey> {
    return this.#with({ kind: 'map', fn: (value) => fn(value), changesValue: true, needsKey: false });
  }

  /** Applies value processors in order (sync or async transforms that keep the type). */
  process(...processors: readonly Processor<T>[]): Stream<T, TKey> {
    let stream: Stream<T, TKey> = this;
    for (const processor of processors) {
      stream = stream.#with({ kind: 'map', fn: (value) => processor(value), changesValue: false, needsKey: false });
    }
    return stream;
  }

  /** `[key, value]` pairs. */
  items(): Stream<[TKey, T], TKey> {
    return this.#with({ kind: 'map', fn: (value, core) => [core.key, value], changesValue: true, needsKey: true });
  }

  /** Values with their key, headers, topic, partition, offset and timestamp. */
  events(): Stream<Event<TKey, T>, TKey> {
    return this.#with({
      kind: 'map',
      fn: (value, core) => {
        const item = core.item!;
        const input = core.input;
        const delivery = input.lastDelivery; // the item's: operators run right after it is handed out
        const context = core.context()!;
        return { ...context, key: core.key as TKey, value, ack: () => void input.ackItem(item, delivery) } satisfies Event<TKey, T>;
      },
      changesValue: true,
      needsKey: true,
    });
  }

  /** `[index, value]` pairs, counting from `start`. */
  enumerate(start = 0): Stream<[number, T], TKey> {
    let index = start;
    return this.#with({ kind: 'map', fn: (value) => [index++, value], changesValue: true, needsKey: false });
  }

  /** Also sends every value (with its key) to each of the sinks, and passes it on. */
  echo(...sinks: readonly Sink<TKey, T>[]): Stream<T, TKey> {
    const host = this.core.host;
    return this.#with({
      kind: 'map',
      fn: (value, core) => {
        const item = core.item!;
        for (const sink of sinks) host.sendTo(sink as Sink<unknown, unknown>, core.key, value, item.headers);
        return value;
      },
      changesValue: false,
      needsKey: true,
    });
  }

  /** Batches of up to `n` values; with `within`, a partial batch after that many ms. */
  take(n: number, options: TakeOptions = {}): Stream<T[], TKey> {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError('take', `n must be a positive integer, got ${n}`);
    return new BatchStream<T, TKey>(this, n, options.within) as unknown as Stream<T[], TKey>;
  }

  /**
   * Re-keys the stream through an internal repartition topic, so that every value with the same
   * new key is processed by the same worker and agent instance (and lands on the same partition,
   * as tables need).
   */
  groupBy(keyFn: (value: T) => string, options: GroupByOptions<string, T>): Stream<T, string>;
  groupBy<TNewKey>(keyFn: (value: T) => TNewKey, options: GroupByOptions<TNewKey, T> & { readonly key: Codec<TNewKey> }): Stream<T, TNewKey>;
  groupBy(keyFn: (value: T) => unknown, options: GroupByOptions<unknown, T>): Stream<T, unknown> {
    const host = this.core.host;
    const valueCodec = options.value ?? (this.#changesValue ? undefined : host.valueCodecOf(this.core.input));
    if (valueCodec === undefined) {
      throw new ConfigError(
        `groupBy(${options.name})`,
        'the values were changed by map/items/events, so their codec is unknown: pass options.value (a codec for the values)',
      );
    }
    if (options.partitions !== undefined && (!Number.isInteger(options.partitions) || options.partitions < 1)) {
      throw new ConfigError(`groupBy(${options.name})`, `partitions must be a positive integer, got ${options.partitions}`);
    }
    this.core.trackCurrent = false;
    const input = host.repartition(this as Stream<unknown, unknown>, options.name, keyFn as (value: unknown) => unknown, options.key as Codec<unknown> | undefined, valueCodec as Codec<unknown>, options.partitions);
    return new Stream(new StreamCore(input, host));
  }

  /** Sends every value (with its key) to `topic`, and continues with the records read back from it. */
  through(topic: Sink<TKey, T>): Stream<T, TKey> {
    const host = this.core.host;
    this.core.trackCurrent = false;
    const input = host.through(this as Stream<unknown, unknown>, topic as Sink<unknown, unknown>);
    return new Stream(new StreamCore(input, host));
  }

  // -------------------------------------------------------------------------------------------
  // Acknowledgement and context

  /** Acknowledges an event (with the agent option `ack: 'manual'`). */
  ack(event: Event<TKey, unknown>): void {
    event.ack();
  }

  /** Where the current element came from (topic, partition, offset, timestamp, headers). */
  current(): EventContext | undefined {
    return this.core.context();
  }

  // -------------------------------------------------------------------------------------------
  // Iteration

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      // A handler leaving its loop (break, throw) does not end the source: the runtime decides.
      return: () => DONE_PROMISE as Promise<IteratorResult<T>>,
    };
  }

  /** @internal */
  next(): Promise<IteratorResult<T>> {
    const input = this.core.input;
    if (!this.core.host.manualAck) input.ackDelivered();
    return this.produce();
  }

  /** @internal The next element, without acknowledging anything first. */
  produce(): Promise<IteratorResult<T>> {
    for (;;) {
      const result = this.pull();
      if (result === SKIP) continue;
      if (result === EMPTY) {
        const input = this.core.input;
        if (input.closed) return DONE_PROMISE as Promise<IteratorResult<T>>;
        return input.whenData().then(() => this.produce());
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then((value) => (value === SKIP || value === EMPTY ? this.produce() : { value: value as T, done: false }));
      }
      return Promise.resolve({ value: result as T, done: false });
    }
  }

  /**
   * @internal Delivers one queued item through decoding and the operators: the value, SKIP when
   * the item was dropped (filtered or undecodable; already acknowledged), EMPTY when nothing is
   * queued, or a promise of one of those when an operator or the decoder is asynchronous.
   */
  pull(): unknown {
    const core = this.core;
    const input = core.input;
    const item = input.deliverNext();
    if (item === undefined) return EMPTY;
    core.item = item;
    if (core.trackCurrent) {
      const host = core.host;
      host.current = item;
      host.currentInput = input;
    }
    if (isChannelMessage(item)) {
      core.key = item.key;
      return this.#run(item.value, 0, item);
    }
    const codecs = input.codecs!;
    let value: unknown;
    try {
      value = decodeValue(codecs.value, item);
      if (this.#needsKey) {
        // A value still being decoded (a registry lookup) must not reject unobserved when the key
        // turns out undecodable too: that ended the process. The record is dead-lettered once.
        if (isThenable(value)) {
          const pending = Promise.resolve(value);
          pending.catch(() => {});
          value = pending;
        }
        const key = decodeKey(codecs.key, item);
        if (isThenable(key)) {
          return Promise.resolve(key).then(
            (k) => {
              core.key = k;
              return isThenable(value) ? Promise.resolve(value).then((v): unknown => this.#run(v, 0, item), (e): unknown => this.#undecodable(item, e)) : this.#run(value, 0, item);
            },
            (e) => this.#undecodable(item, e),
          );
        }
        core.key = key;
      }
    } catch (error) {
      return this.#undecodable(item, error);
    }
    if (isThenable(value)) {
      return Promise.resolve(value).then(
        (v) => this.#run(v, 0, item),
        (e) => this.#undecodable(item, e),
      );
    }
    return this.#run(value, 0, item);
  }

  #undecodable(item: InputItem, error: unknown): unknown {
    const input = this.core.input;
    // the worker stops on it: nothing more until the input closes, then the stream ends
    if (!this.core.host.onDecodeError(input, item, error)) return input.whenClosed().then(() => EMPTY);
    input.ackItem(item);
    return SKIP;
  }

  #run(value: unknown, from: number, item: InputItem): unknown {
    const ops = this.ops;
    const core = this.core;
    for (let i = from; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.kind === 'filter') {
        const keep = op.fn(value);
        if (isThenable(keep)) {
          const next = i + 1;
          return Promise.resolve(keep).then((k) => (k ? this.#run(value, next, item) : this.#drop(item)));
        }
        if (!keep) return this.#drop(item);
      } else {
        value = op.fn(value, core);
        if (isThenable(value)) {
          const next = i + 1;
          return Promise.resolve(value).then((v) => this.#run(v, next, item));
        }
      }
    }
    return value;
  }

  #drop(item: InputItem): typeof SKIP {
    this.core.input.ackItem(item);
    return SKIP;
  }
}

/**
 * Decodes a record's value: where it lies when the transport can (`readValue`) and the codec
 * decodes ranges (no Buffer view per record), else from the record's bytes.
 */
function decodeValue(codec: WireCodec<unknown>, record: ConsumerRecord): unknown {
  if (codec.decodeRange !== undefined && record.readValue !== undefined) return record.readValue(codec as RangeDecoder<unknown>);
  const bytes = record.value;
  return bytes === null ? null : codec.decode(bytes);
}

/** Decodes a record's key, as `decodeValue` does its value. */
function decodeKey(codec: WireCodec<unknown>, record: ConsumerRecord): unknown {
  if (codec.decodeRange !== undefined && record.readKey !== undefined) return record.readKey(codec as RangeDecoder<unknown>);
  const bytes = record.key;
  return bytes === null ? null : codec.decode(bytes);
}

/** A sync or async transform of a value that keeps its type (`app.stream(source, { processors })`). */
export type Processor<T> = (value: T) => T | Promise<T>;

/** `take(n, { within })`: batches of the upstream's elements, acknowledged batch by batch. */
class BatchStream<T, TKey> extends Stream<T[], TKey> {
  readonly #upstream: Stream<T, TKey>;
  readonly #size: number;
  readonly #within: number | undefined;

  constructor(upstream: Stream<T, TKey>, size: number, within: number | undefined) {
    super(upstream.core, []);
    this.#upstream = upstream;
    this.#size = size;
    this.#within = within;
  }

  override next(): Promise<IteratorResult<T[]>> {
    if (!this.core.host.manualAck) this.core.input.ackDelivered();
    return this.produce();
  }

  override produce(): Promise<IteratorResult<T[]>> {
    const batch: T[] = [];
    const core = this.core;
    const host = core.host;
    host.batchSpansPartitions = false;
    // Whether the batch's elements come from more than one partition (then no single event is
    // "current": state kept per partition, as tables are, cannot be written from the batch).
    let firstTopic: string | undefined;
    let firstPartition = -1;
    let mixed = false;
    const add = (value: T): void => {
      const item = core.item!;
      if (!mixed && !isChannelMessage(item)) {
        if (firstTopic === undefined) {
          firstTopic = item.topic;
          firstPartition = item.partition;
        } else if (item.partition !== firstPartition || item.topic !== firstTopic) {
          mixed = true;
        }
      }
      batch.push(value);
    };
    let expired = false;
    let cancelTimer: (() => void) | undefined;
    let wake: (() => void) | undefined;
    // within 0: hand over what is queued now, wait only when nothing is (no timer needed)
    if (this.#within === 0) expired = true;
    else if (this.#within !== undefined) {
      cancelTimer = this.core.host.clock.schedule(this.#within, () => {
        expired = true;
        wake?.();
      });
    }
    const finish = (): IteratorResult<T[]> => {
      cancelTimer?.();
      host.batchSpansPartitions = mixed;
      return batch.length > 0 ? { value: batch, done: false } : DONE;
    };
    const fill = (): Promise<IteratorResult<T[]>> | IteratorResult<T[]> => {
      for (;;) {
        if (batch.length >= this.#size) return finish();
        const result = this.#upstream.pull();
        if (result === SKIP) continue;
        if (result === EMPTY) {
          const input = this.core.input;
          if (input.closed) return finish();
          if (expired && batch.length > 0) return finish();
          const data = input.whenData();
          if (expired) return data.then(fill);
          const timer = new Promise<void>((resolve) => {
            wake = resolve;
          });
          return Promise.race([data, timer]).then(() => {
            wake = undefined;
            return fill();
          });
        }
        if (isThenable(result)) {
          return Promise.resolve(result).then((value) => {
            if (value !== SKIP && value !== EMPTY) add(value as T);
            return fill();
          });
        }
        add(result as T);
      }
    };
    return Promise.resolve(fill());
  }
}
