/**
 * Topics and channels: the typed places values are sent to and agents read from.
 *
 * `app.topic(binding)` gives a `Topic<TKey, TValue>` whose `send` accepts only the binding's types.
 * `app.channel<T>()` gives an in-memory `Channel<T>`, usable wherever a topic is (agent source,
 * sink, `echo`), with no serialization and no broker: values are handed over as they are.
 */
import { EncodeError } from '../errors.js';
import type { TopicBinding } from '../serde/binding.js';
import type { WireCodec, WireUse } from '../serde/wire.js';
import type { RecordBuffer } from '../transport/record-buffer.js';
import type { ProducerRecord, RecordHeaders } from '../transport/types.js';
import type { ChannelMessage, Input } from './input.js';

/** What a send carries. `key` may be left out (null key: round-robin partitioning). */
export interface Message<TKey, TValue> {
  readonly key?: TKey | null;
  readonly value: TValue;
  readonly headers?: RecordHeaders;
  /** Explicit partition (otherwise the key's murmur2 partition, as in Kafka). */
  readonly partition?: number;
  /** Event time in ms (default: now). */
  readonly timestamp?: number;
}

/** Where values can be sent: a topic, a channel, an agent (its source), or a function. */
export interface SendTarget<TKey, TValue> {
  send(message: Message<TKey, TValue>): Promise<void>;
}

/** What the App gives a topic: wire codecs and the batched send path. */
export interface TopicHost {
  readonly appId: string;
  prepare<T>(topic: string, part: 'key' | 'value', codec: TopicBinding<unknown, unknown>['key'], use: WireUse): Promise<WireCodec<T>>;
  enqueue(topic: string, record: ProducerRecord): Promise<void>;
  /**
   * Opens a record to `topic`: the buffer to write it into, or undefined when records must go
   * through `enqueue` (the app is not started; exactly-once holds records per event; another
   * record is open: a codec sending from inside its encoding). The topic then calls
   * `recordWritten()`, or `recordDropped()` when its encoding failed.
   */
  startRecord(topic: string): RecordBuffer | undefined;
  /** Queues the record written into `startRecord`'s buffer; resolves when the broker acknowledged it. */
  recordWritten(): Promise<void>;
  /** Closes the record opened by `startRecord` without one. */
  recordDropped(): void;
}

export class Topic<TKey, TValue> implements SendTarget<TKey, TValue> {
  readonly kind = 'topic' as const;
  readonly name: string;
  // Codecs to write with (may register schemas) and to read with (never register); writing ones
  // read too.
  #key: WireCodec<TKey> | undefined;
  #value: WireCodec<TValue> | undefined;
  #readCodecs: { key: WireCodec<TKey>; value: WireCodec<TValue> } | undefined;
  #preparing: Promise<void> | undefined;
  #preparingToRead: Promise<void> | undefined;
  /** @internal Whether the codecs to write with are known (sends can be encoded synchronously). */
  prepared = false;

  /** @internal Made by `app.topic(binding)`. */
  constructor(
    readonly binding: TopicBinding<TKey, TValue>,
    readonly host: TopicHost,
  ) {
    this.name = binding.name;
  }

  /**
   * @internal Learns the codecs to write with (with a registry: registers the schemas, or finds
   * them registered); idempotent. A send does it first when needed.
   */
  prepare(): Promise<void> {
    this.#preparing ??= this.#codecs('write').then(
      ({ key, value }) => {
        this.#key = key;
        this.#value = value;
        this.prepared = true;
      },
      (error: unknown) => {
        this.#preparing = undefined; // try again later (e.g. once the app started)
        throw error;
      },
    );
    return this.#preparing;
  }

  /**
   * @internal Learns the codecs to read with (with a registry: registers nothing, as a consumer
   * must not); idempotent. Done already when the topic was prepared to write.
   */
  prepareToRead(): Promise<void> {
    if (this.prepared) return Promise.resolve();
    this.#preparingToRead ??= this.#codecs('read').then(
      (codecs) => {
        this.#readCodecs = codecs;
      },
      (error: unknown) => {
        this.#preparingToRead = undefined;
        throw error;
      },
    );
    return this.#preparingToRead;
  }

  #codecs(use: WireUse): Promise<{ key: WireCodec<TKey>; value: WireCodec<TValue> }> {
    return Promise.all([
      this.host.prepare<TKey>(this.name, 'key', this.binding.key as never, use),
      this.host.prepare<TValue>(this.name, 'value', this.binding.value as never, use),
    ]).then(([key, value]) => ({ key, value }));
  }

  /** @internal The codecs to read with, once prepared (to read, or to write). */
  get wire(): { key: WireCodec<TKey>; value: WireCodec<TValue> } | undefined {
    return this.#key === undefined || this.#value === undefined ? this.#readCodecs : { key: this.#key, value: this.#value };
  }

  /**
   * Sends one message. Resolves when the broker has acknowledged it (the app batches sends; every
   * send of a batch shares one promise). Rejects with an `EncodeError` if the value (or key) does
   * not fit the topic's schema at run time (e.g. from untyped JavaScript).
   */
  send(message: Message<TKey, TValue>): Promise<void> {
    if (this.#value === undefined) return this.prepare().then(() => this.send(message));
    try {
      return this.write(message.key, message.value, message.headers, message.partition, message.timestamp);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @internal Queues a record (the hot path of `send` and of yields to a topic sink: no message
   * object): encoded straight into the app's send buffer for this topic, or, when the app holds
   * records itself (exactly-once), encoded into a producer record for it. Throws EncodeError.
   */
  write(key: TKey | null | undefined, value: TValue, headers: RecordHeaders | undefined, partition?: number, timestamp?: number): Promise<void> {
    const buffer = this.host.startRecord(this.name);
    if (buffer === undefined) {
      const record = this.encodeRecord(key, value, headers);
      return this.host.enqueue(this.name, partition === undefined && timestamp === undefined ? record : { ...record, partition, timestamp });
    }
    if (key !== undefined && key !== null) {
      try {
        buffer.writeKey(this.#key!, key);
      } catch (error) {
        buffer.dropRecord();
        this.host.recordDropped();
        throw this.#encodeError('key', error);
      }
    }
    if (value !== null && value !== undefined) {
      try {
        buffer.writeValue(this.#value!, value);
      } catch (error) {
        buffer.dropRecord();
        this.host.recordDropped();
        throw this.#encodeError('value', error);
      }
    }
    buffer.endRecord(headers, partition, timestamp);
    return this.host.recordWritten();
  }

  /** @internal Encodes a key and value into a producer record; throws EncodeError. */
  encodeRecord(key: TKey | null | undefined, value: TValue, headers: RecordHeaders | undefined): ProducerRecord {
    let keyBytes: Buffer | null = null;
    let valueBytes: Buffer | null = null;
    try {
      keyBytes = key === undefined || key === null ? null : this.#key!.encode(key);
    } catch (error) {
      throw this.#encodeError('key', error);
    }
    try {
      valueBytes = value === null || value === undefined ? null : this.#value!.encode(value);
    } catch (error) {
      throw this.#encodeError('value', error);
    }
    return { key: keyBytes, value: valueBytes, headers };
  }

  #encodeError(part: 'key' | 'value', error: unknown): EncodeError {
    const codec = part === 'key' ? this.binding.key : this.binding.value;
    return new EncodeError(`${part} (${codec.name})`, [error instanceof Error ? error.message : String(error)], this.name, { cause: error });
  }
}

/** An in-memory, in-process channel of values; no broker, no serialization, no commits. */
export class Channel<TValue> implements SendTarget<null, TValue> {
  readonly kind = 'channel' as const;
  /** Agent instances reading the channel, each with its input queue. */
  readonly #subscribers: { readonly inputs: readonly Input[]; next: number }[] = [];
  #warnedNoReader = false;

  /** @internal Made by `app.channel()`. */
  constructor(
    readonly name: string,
    readonly onUnread: (channel: string) => void,
  ) {}

  /** @internal An agent reading this channel (values are spread round-robin over its instances). */
  subscribe(inputs: readonly Input[]): void {
    this.#subscribers.push({ inputs, next: 0 });
  }

  /**
   * Hands a value to every agent reading the channel; resolves when each had room for it (the
   * channel's back-pressure: a slow reader slows the sender).
   */
  send(message: Message<null, TValue>): Promise<void> {
    return this.deliver(message, undefined);
  }

  /** @internal */
  deliver(message: Message<unknown, TValue>, reply: ((value: unknown) => void) | undefined): Promise<void> {
    if (this.#subscribers.length === 0) {
      if (!this.#warnedNoReader) {
        this.#warnedNoReader = true;
        this.onUnread(this.name);
      }
      return Promise.resolve();
    }
    const item: ChannelMessage = {
      channel: true,
      key: message.key ?? null,
      value: message.value,
      headers: message.headers ?? {},
      timestamp: message.timestamp ?? Date.now(),
      reply,
    };
    let waits: Promise<void>[] | undefined;
    for (const subscriber of this.#subscribers) {
      const input = subscriber.inputs[subscriber.next]!;
      subscriber.next = (subscriber.next + 1) % subscriber.inputs.length;
      if (input.full) (waits ??= []).push(input.whenSpace().then(() => input.push(item, null, 0)));
      else input.push(item, null, 0);
    }
    return waits === undefined ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }
}

/**
 * Where yielded or echoed values can go. Typed by what it accepts: a topic with the same value
 * type, a channel, an agent whose input is that type, or a function.
 */
export type Sink<TKey, TValue> =
  | Topic<TKey, TValue>
  | Channel<TValue>
  | { readonly kind: 'agent'; send(message: Message<any, TValue>): Promise<void> }
  | ((value: TValue) => void | Promise<void>);
