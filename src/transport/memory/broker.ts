/**
 * The embedded broker behind `memory://`: topics with partitions, offsets, headers, timestamps,
 * and consumer groups with committed offsets, all inside this process. Brokers are named by the
 * URL's host part (`memory://` is `default`, `memory://orders-test` another one), so that every
 * app and test in the process that names the same URL shares the same topics.
 */
import { TransportError } from '../../errors.js';
import { partitionForKey } from '../partitioner.js';
import type { RecordBuffer } from '../record-buffer.js';
import { compactLog, isCompacted, type CompactionOptions, type CompactionReport } from './compaction.js';
import type {
  ConsumerRecord,
  ProducerRecord,
  RangeDecoder,
  RecordHeaders,
  RecordMetadata,
  TopicDescription,
  TopicPartition,
  TopicSpec,
} from '../types.js';

export interface MemoryBrokerOptions {
  /** Partitions of topics created implicitly by a send or a subscription. Default 1. */
  readonly defaultPartitions?: number;
}

/** Slot size of a byte chunk: a record's position is `chunk index * CHUNK_SLOT + start`. */
const CHUNK_SLOT = 1 << 20;
/** First chunk size; chunks double up to CHUNK_SLOT, so small topics stay small. */
const FIRST_CHUNK = 4096;
/** Values at least this big get a chunk of their own (not worth copying into a shared one). */
const OWN_CHUNK = CHUNK_SLOT >> 3;
/** A RecordBuffer at least this big (and mostly full) is kept as storage as it is, not copied. */
const ADOPT_MIN = 16 * 1024;
/** `appendBuffer`'s bases: a log that will keep the buffer but has not yet; every log copies. */
const NOT_KEPT_YET = -1;
const COPIED = -2;

const EMPTY_HEADERS: RecordHeaders = Object.freeze({});

/** The "decoder" that makes a view of the bytes (what `PartitionLog.keyAt`/`valueAt` hand out). */
const VIEW: RangeDecoder<Buffer> = Object.freeze({ decodeRange: (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end) });

/**
 * The bytes of one log's records (keys and values), copied into large chunks. A log keeps every
 * record ever written; holding each one's Buffer object (and a record object) alive is what made
 * the garbage collector copy and promote a million small objects per million records. Here the
 * bytes of a record cost two numbers in the record table (position and length); readers get views
 * of the chunks, or decode where the bytes lie.
 */
class ByteStore {
  readonly #chunks: Buffer[] = [];
  #current = -1;
  #used = 0;

  /** Copies `bytes` in; returns their position (chunk index * CHUNK_SLOT + start). */
  put(bytes: Buffer): number {
    return this.putRange(bytes, 0, bytes.length);
  }

  /** Copies `bytes[start, end)` in; returns their position. */
  putRange(bytes: Buffer, start: number, end: number): number {
    const length = end - start;
    if (length >= OWN_CHUNK) return (this.#chunks.push(Buffer.from(bytes.subarray(start, end))) - 1) * CHUNK_SLOT;
    let chunk = this.#current < 0 ? undefined : this.#chunks[this.#current];
    if (chunk === undefined || chunk.length - this.#used < length) {
      const size = chunk === undefined ? FIRST_CHUNK : Math.min(CHUNK_SLOT, chunk.length * 2);
      chunk = Buffer.allocUnsafeSlow(Math.max(size, length));
      this.#current = this.#chunks.push(chunk) - 1;
      this.#used = 0;
    }
    const at = this.#used;
    if (start === 0 && end === bytes.length) chunk.set(bytes, at);
    else if (length <= 64) for (let i = 0; i < length; i++) chunk[at + i] = bytes[start + i]!;
    else bytes.copy(chunk, at, start, end);
    this.#used = at + length;
    return this.#current * CHUNK_SLOT + at;
  }

  /**
   * Keeps `chunk` as storage, as it is (no copy): its bytes at `start` lie at the returned base
   * position plus `start`. The caller must never write it again, and it must fit a slot.
   */
  adopt(chunk: Buffer): number {
    return (this.#chunks.push(chunk) - 1) * CHUNK_SLOT;
  }

  /** Decodes the `length` bytes at `position` where they lie (null: a null record, length -1). */
  decode<T>(position: number, length: number, decoder: RangeDecoder<T>): T | null {
    if (length < 0) return null;
    // positions pass 2^31 after 2048 chunks: float arithmetic, exact for powers of two (no `%`,
    // which is a call to fmod for doubles)
    const chunk = Math.floor(position / CHUNK_SLOT);
    const start = position - chunk * CHUNK_SLOT;
    return decoder.decodeRange(this.#chunks[chunk]!, start, start + length);
  }
}

/** Records per block of the record table. */
const BLOCK_SHIFT = 13;
const BLOCK = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK - 1;
/** Fields of a record in the table: key position and length, value position and length, timestamp. */
const KEY_POSITION = 0;
const KEY_LENGTH = 1;
const VALUE_POSITION = 2;
const VALUE_LENGTH = 3;
const TIMESTAMP = 4;
const FIELDS = 5;

/**
 * Five numbers per record (where its key and value bytes lie, and its timestamp) in fixed blocks
 * of typed arrays: no reallocation and copy of one ever larger array as the log grows, memory the
 * garbage collector never scans, and one block lookup per record written or read.
 */
class RecordTable {
  readonly #blocks: Float64Array[] = [];
  length = 0;

  push(keyPosition: number, keyLength: number, valuePosition: number, valueLength: number, timestamp: number): number {
    const n = this.length;
    const i = n & BLOCK_MASK;
    if (i === 0) this.#blocks.push(new Float64Array(BLOCK * FIELDS));
    const block = this.#blocks[n >>> BLOCK_SHIFT]!;
    const at = i * FIELDS;
    block[at + KEY_POSITION] = keyPosition;
    block[at + KEY_LENGTH] = keyLength;
    block[at + VALUE_POSITION] = valuePosition;
    block[at + VALUE_LENGTH] = valueLength;
    block[at + TIMESTAMP] = timestamp;
    this.length = n + 1;
    return n;
  }

  /** Field `field` of record `n`. */
  at(n: number, field: number): number {
    return this.#blocks[n >>> BLOCK_SHIFT]![(n & BLOCK_MASK) * FIELDS + field]!;
  }
}

/**
 * One partition's log. Offsets are array indexes plus `start` (always 0: nothing is deleted).
 *
 * Records are kept as columns (key and value bytes, headers, timestamps), not as one object per
 * record (see ByteStore and RecordTable); records are made as objects when read (`read`, `records`), where they
 * are short-lived. The bytes are copied on append: a producer may reuse its buffers.
 */
export class PartitionLog {
  readonly #bytes = new ByteStore();
  readonly #table = new RecordTable();
  /** Headers of the records that have any (most have none). */
  readonly #headers = new Map<number, RecordHeaders>();
  readonly listeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get end(): number {
    return this.#table.length;
  }

  /** Appends one record; returns its offset. */
  append(key: Buffer | null, value: Buffer | null, headers: RecordHeaders, timestamp: number): number {
    const bytes = this.#bytes;
    const offset = this.#table.push(
      key === null ? 0 : bytes.put(key),
      key === null ? -1 : key.length,
      value === null ? 0 : bytes.put(value),
      value === null ? -1 : value.length,
      timestamp,
    );
    if (headers !== EMPTY_HEADERS) this.#headers.set(offset, headers);
    return offset;
  }

  /**
   * Appends one record of a RecordBuffer whose bytes are `bytes`: key and value are the ranges
   * given (start -1: null). `base` is where this log keeps `bytes` as they are (`adopt`), or
   * negative to copy the ranges in. Returns the record's offset.
   */
  appendRange(bytes: Buffer, base: number, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, headers: RecordHeaders, timestamp: number): number {
    const store = this.#bytes;
    const offset = this.#table.push(
      keyStart < 0 ? 0 : base < 0 ? store.putRange(bytes, keyStart, keyEnd) : base + keyStart,
      keyStart < 0 ? -1 : keyEnd - keyStart,
      valueStart < 0 ? 0 : base < 0 ? store.putRange(bytes, valueStart, valueEnd) : base + valueStart,
      valueStart < 0 ? -1 : valueEnd - valueStart,
      timestamp,
    );
    if (headers !== EMPTY_HEADERS) this.#headers.set(offset, headers);
    return offset;
  }

  /** Keeps `bytes` as this log's storage (see `ByteStore.adopt`); returns their base position. */
  adopt(bytes: Buffer): number {
    return this.#bytes.adopt(bytes);
  }

  /** The records at offsets `from` (inclusive) to `to` (exclusive), as fresh objects. */
  read(from: number, to: number): ConsumerRecord[] {
    const end = Math.min(to, this.end);
    const out: ConsumerRecord[] = new Array(Math.max(0, end - from));
    const { topic, partition } = this;
    const headers = this.#headers;
    for (let offset = from, i = 0; offset < end; offset++, i++) {
      const recordHeaders = headers.size === 0 ? EMPTY_HEADERS : (headers.get(offset) ?? EMPTY_HEADERS);
      out[i] = { topic, partition, offset: String(offset), key: this.keyAt(offset), value: this.valueAt(offset), headers: recordHeaders, timestamp: this.timestampAt(offset) };
    }
    return out;
  }

  /**
   * The records at offsets `from` to `to` for a consumer: the same records as `read`, but each
   * one's key, value, offset string and timestamp are made when first asked for. A consumer that
   * decodes only values never pays for a key view, and the runtime never needs most offset strings.
   */
  readForConsumer(from: number, to: number): ConsumerRecord[] {
    const end = Math.min(to, this.end);
    const out: ConsumerRecord[] = new Array(Math.max(0, end - from));
    const headers = this.#headers;
    for (let offset = from, i = 0; offset < end; offset++, i++) {
      const recordHeaders = headers.size === 0 ? EMPTY_HEADERS : (headers.get(offset) ?? EMPTY_HEADERS);
      out[i] = new LogRecord(this, offset, recordHeaders);
    }
    return out;
  }

  /** @internal The timestamp of the record at `offset`. */
  timestampAt(offset: number): number {
    return this.#table.at(offset, TIMESTAMP);
  }

  /** @internal Key bytes of the record at `offset` (a view of the log's storage). */
  keyAt(offset: number): Buffer | null {
    return this.decodeKeyAt(offset, VIEW);
  }

  /** @internal Value bytes of the record at `offset` (a view of the log's storage). */
  valueAt(offset: number): Buffer | null {
    return this.decodeValueAt(offset, VIEW);
  }

  /** @internal Decodes the key bytes of the record at `offset` where they lie. */
  decodeKeyAt<T>(offset: number, decoder: RangeDecoder<T>): T | null {
    const table = this.#table;
    return this.#bytes.decode(table.at(offset, KEY_POSITION), table.at(offset, KEY_LENGTH), decoder);
  }

  /** @internal Decodes the value bytes of the record at `offset` where they lie. */
  decodeValueAt<T>(offset: number, decoder: RangeDecoder<T>): T | null {
    const table = this.#table;
    return this.#bytes.decode(table.at(offset, VALUE_POSITION), table.at(offset, VALUE_LENGTH), decoder);
  }

  /** Every record of the log (for inspection: the test driver, tests). */
  get records(): readonly ConsumerRecord[] {
    return this.read(0, this.end);
  }
}

/** Not computed yet (key and value may be null, so null cannot mark that). */
const UNREAD: unique symbol = Symbol('unread');

/**
 * A record handed to a consumer, its bytes read from the log on first access. Views of the log
 * (Buffer objects) are the costliest part of a record; most consumers need one of the two, and
 * the runtime's decoders need neither (`readKey`, `readValue` decode the bytes where they lie).
 */
class LogRecord implements ConsumerRecord {
  #key: Buffer | null | typeof UNREAD = UNREAD;
  #value: Buffer | null | typeof UNREAD = UNREAD;
  #offsetText: string | undefined = undefined;
  // A timestamp is past the small-integer range: a field holding one is a boxed number, made
  // here on first access rather than for every record.
  #timestamp: number | undefined = undefined;

  constructor(
    readonly log: PartitionLog,
    readonly offsetNumber: number,
    readonly headers: RecordHeaders,
  ) {}

  get topic(): string {
    return this.log.topic;
  }

  get partition(): number {
    return this.log.partition;
  }

  get timestamp(): number {
    return (this.#timestamp ??= this.log.timestampAt(this.offsetNumber));
  }

  get offset(): string {
    return (this.#offsetText ??= String(this.offsetNumber));
  }

  get key(): Buffer | null {
    const key = this.#key;
    return key === UNREAD ? (this.#key = this.log.keyAt(this.offsetNumber)) : key;
  }

  get value(): Buffer | null {
    const value = this.#value;
    return value === UNREAD ? (this.#value = this.log.valueAt(this.offsetNumber)) : value;
  }

  readKey<T>(decoder: RangeDecoder<T>): T | null {
    const key = this.#key;
    if (key === UNREAD) return this.log.decodeKeyAt(this.offsetNumber, decoder);
    return key === null ? null : decoder.decodeRange(key, 0, key.length);
  }

  readValue<T>(decoder: RangeDecoder<T>): T | null {
    const value = this.#value;
    if (value === UNREAD) return this.log.decodeValueAt(this.offsetNumber, decoder);
    return value === null ? null : decoder.decodeRange(value, 0, value.length);
  }

  /** A plain object with every field (what `JSON.stringify` and loggers see; a spread sees none of the getters). */
  toJSON(): ConsumerRecord {
    return { topic: this.topic, partition: this.partition, offset: this.offset, key: this.key, value: this.value, headers: this.headers, timestamp: this.timestamp };
  }
}

export class MemoryTopic {
  readonly logs: PartitionLog[];
  #nextRoundRobin = 0;
  constructor(
    readonly name: string,
    partitions: number,
    readonly replicationFactor: number,
    readonly config: Readonly<Record<string, string>>,
  ) {
    this.logs = Array.from({ length: partitions }, (_, partition) => new PartitionLog(name, partition));
  }

  get partitions(): number {
    return this.logs.length;
  }

  partitionFor(record: ProducerRecord): number {
    const key = record.key;
    return key === null ? this.partitionOfRange(record.partition, null, -1, -1) : this.partitionOfRange(record.partition, key, 0, key.length);
  }

  /**
   * A record's partition: the one it names (checked), else its key's (the bytes `key[keyStart,
   * keyEnd)`; keyStart -1: no key) by Kafka's partitioner, else the next in round robin.
   */
  partitionOfRange(explicit: number | undefined, key: Buffer | null, keyStart: number, keyEnd: number): number {
    if (explicit !== undefined) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit >= this.logs.length) {
        throw new TransportError('send', `partition ${explicit} does not exist (the topic has ${this.logs.length})`, {
          topic: this.name,
          partition: explicit,
        });
      }
      return explicit;
    }
    if (keyStart >= 0) return partitionForKey(key!, this.logs.length, keyStart, keyEnd);
    const partition = this.#nextRoundRobin;
    this.#nextRoundRobin = (partition + 1) % this.logs.length;
    return partition;
  }
}

/** What a group member is to the broker: the group coordinator drives it through these. */
export interface GroupMember {
  readonly subscription: ReadonlySet<string>;
  revoke(partitions: readonly TopicPartition[]): Promise<void>;
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  readonly assigned: readonly TopicPartition[];
}

export class MemoryGroup {
  readonly committed = new Map<string, Map<number, number>>();
  readonly members: GroupMember[] = [];
  #rebalancing: Promise<void> = Promise.resolve();
  constructor(
    readonly id: string,
    readonly broker: MemoryBroker,
  ) {}

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.get(partition);
  }

  commit(topic: string, partition: number, offset: number): void {
    let byPartition = this.committed.get(topic);
    if (byPartition === undefined) this.committed.set(topic, (byPartition = new Map()));
    byPartition.set(partition, offset);
  }

  join(member: GroupMember): Promise<void> {
    if (!this.members.includes(member)) this.members.push(member);
    return this.rebalance();
  }

  leave(member: GroupMember): Promise<void> {
    const index = this.members.indexOf(member);
    if (index < 0) return this.#rebalancing;
    this.members.splice(index, 1);
    return this.rebalance(member);
  }

  /**
   * Eager rebalance, serialized: every member first gives up the partitions it loses (awaited),
   * then receives the ones it gains (awaited). Partitions of each topic are spread round robin over
   * the members subscribed to it, members in join order.
   */
  rebalance(leaving?: GroupMember): Promise<void> {
    const run = async () => {
      if (leaving !== undefined && leaving.assigned.length > 0) await leaving.revoke(leaving.assigned);
      const target = new Map<GroupMember, TopicPartition[]>(this.members.map((m) => [m, []]));
      const topics = new Set<string>();
      for (const member of this.members) for (const topic of member.subscription) topics.add(topic);
      for (const topic of [...topics].sort()) {
        const subscribers = this.members.filter((m) => m.subscription.has(topic));
        const count = this.broker.ensureTopic(topic).partitions;
        for (let partition = 0; partition < count; partition++) {
          target.get(subscribers[partition % subscribers.length]!)!.push({ topic, partition });
        }
      }
      const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;
      const plans = this.members.map((member) => {
        const want = target.get(member)!;
        const wantKeys = new Set(want.map(key));
        const haveKeys = new Set(member.assigned.map(key));
        return {
          member,
          revoked: member.assigned.filter((tp) => !wantKeys.has(key(tp))),
          added: want.filter((tp) => !haveKeys.has(key(tp))),
        };
      });
      await Promise.all(plans.map((p) => (p.revoked.length > 0 ? p.member.revoke(p.revoked) : undefined)));
      await Promise.all(plans.map((p) => (p.added.length > 0 ? p.member.assign(p.added) : undefined)));
    };
    const next = this.#rebalancing.then(run, run);
    this.#rebalancing = next.catch(() => {});
    return next;
  }
}

const encoder = new TextEncoder();

function normalizeHeaders(headers: RecordHeaders | undefined): RecordHeaders {
  if (headers === undefined) return EMPTY_HEADERS;
  let out: Record<string, Buffer> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = typeof value === 'string' ? Buffer.from(encoder.encode(value)) : value;
  }
  return out ?? EMPTY_HEADERS;
}


export class MemoryBroker {
  static readonly #named = new Map<string, MemoryBroker>();

  /** The broker a `memory://NAME` URL names (created on first use, shared afterwards). */
  static forUrl(url: string, options: MemoryBrokerOptions = {}): MemoryBroker {
    const match = /^memory:\/\/([^/?#]*)/.exec(url);
    if (match === null) throw new TransportError('connect', `not a memory:// URL: ${url}`);
    const name = match[1] === '' ? 'default' : match[1]!;
    let broker = MemoryBroker.#named.get(name);
    if (broker === undefined) MemoryBroker.#named.set(name, (broker = new MemoryBroker(name, options)));
    return broker;
  }

  /** Forgets a named broker (its topics and groups); the next `forUrl` makes a fresh one. */
  static drop(url: string): void {
    const match = /^memory:\/\/([^/?#]*)/.exec(url);
    if (match !== null) MemoryBroker.#named.delete(match[1] === '' ? 'default' : match[1]!);
  }

  readonly topics = new Map<string, MemoryTopic>();
  readonly groups = new Map<string, MemoryGroup>();
  readonly defaultPartitions: number;

  constructor(
    readonly name: string,
    options: MemoryBrokerOptions = {},
  ) {
    this.defaultPartitions = options.defaultPartitions ?? 1;
  }

  createTopic(spec: TopicSpec): MemoryTopic {
    const existing = this.topics.get(spec.topic);
    if (existing !== undefined) return existing;
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new TransportError('createTopics', `partitions must be a positive integer, got ${spec.partitions}`, { topic: spec.topic });
    }
    const topic = new MemoryTopic(spec.topic, spec.partitions, spec.replicationFactor ?? 1, { ...spec.config });
    this.topics.set(spec.topic, topic);
    return topic;
  }

  /** The topic, created with the default partition count when it does not exist (auto-create). */
  ensureTopic(name: string): MemoryTopic {
    return this.topics.get(name) ?? this.createTopic({ topic: name, partitions: this.defaultPartitions });
  }

  topic(name: string, operation: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new TransportError(operation, 'the topic does not exist', { topic: name });
    return topic;
  }

  describe(name: string): TopicDescription {
    const topic = this.topic(name, 'describeTopics');
    return { topic: name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, config: topic.config };
  }

  group(id: string): MemoryGroup {
    let group = this.groups.get(id);
    if (group === undefined) this.groups.set(id, (group = new MemoryGroup(id, this)));
    return group;
  }

  /**
   * Appends records to a topic and wakes the consumers of the partitions written. When `metadata`
   * is given, each record's location is pushed onto it.
   */
  append(topicName: string, records: readonly ProducerRecord[], metadata?: RecordMetadata[]): void {
    const topic = this.ensureTopic(topicName);
    const now = Date.now();
    const logs = topic.logs;
    const before = logs.map((log) => log.end);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const partition = topic.partitionFor(record);
      const headers = record.headers === undefined ? EMPTY_HEADERS : normalizeHeaders(record.headers);
      const offset = logs[partition]!.append(record.key, record.value, headers, record.timestamp ?? now);
      metadata?.push({ topic: topicName, partition, offset: String(offset) });
    }
    this.#notify(logs, before);
  }

  /**
   * Appends the records of a RecordBuffer (`Producer.sendBuffered`) and wakes the consumers of the
   * partitions written. The buffer's bytes are kept as they are when that wastes little (mostly
   * full, and big enough that a slot per batch is not a slot per record); else they are copied.
   */
  appendBuffer(buffer: RecordBuffer): void {
    const topic = this.ensureTopic(buffer.topic);
    const now = Date.now();
    const logs = topic.logs;
    const before = logs.map((log) => log.end);
    const bytes = buffer.bytes;
    const used = buffer.used;
    const keep = used >= ADOPT_MIN && used < CHUNK_SLOT && used * 4 >= bytes.length * 3;
    // where each log keeps the buffer: a position, NOT_KEPT_YET, or COPIED (each record copied in)
    const bases = new Array<number>(logs.length).fill(keep ? NOT_KEPT_YET : COPIED);
    for (let i = 0; i < buffer.count; i++) {
      const keyStart = buffer.keyStart(i);
      const keyEnd = buffer.keyEnd(i);
      const partition = topic.partitionOfRange(buffer.partitionAt(i), bytes, keyStart, keyEnd);
      const log = logs[partition]!;
      let base = bases[partition]!;
      if (base === NOT_KEPT_YET) bases[partition] = base = log.adopt(bytes);
      const recordHeaders = buffer.headersAt(i);
      const headers = recordHeaders === undefined ? EMPTY_HEADERS : normalizeHeaders(recordHeaders);
      log.appendRange(bytes, base, keyStart, keyEnd, buffer.valueStart(i), buffer.valueEnd(i), headers, buffer.timestampAt(i) ?? now);
    }
    this.#notify(logs, before);
  }

  /**
   * Compacts a topic now (every partition), or every topic with `cleanup.policy=compact` when no
   * topic is named; see ./compaction.ts (passes also run by themselves as compacted logs grow).
   */
  compact(topicName?: string, options?: CompactionOptions): CompactionReport[] {
    const topics = topicName === undefined ? [...this.topics.values()].filter((t) => isCompacted(t.config)) : [this.topic(topicName, 'compact')];
    return topics.flatMap((topic) => topic.logs.map((log) => compactLog(topic, log, options)));
  }

  /** Wakes the consumers of the logs that grew past their `before` ends. */
  #notify(logs: readonly PartitionLog[], before: readonly number[]): void {
    for (let p = 0; p < logs.length; p++) {
      const log = logs[p]!;
      if (log.end !== before[p]) for (const listener of log.listeners) listener();
    }
  }
}
