/**
 * The Transport: everything the runtime needs from a broker, and nothing more. The runtime (App,
 * agents, streams, tables) talks only to these interfaces; `memory://` (embedded, in-process) and
 * `kafka://` (kafkajs) are two drivers of them. Nothing above this layer imports a client library.
 *
 * Conventions every driver keeps:
 * - Offsets are decimal strings (as kafkajs has them), never numbers: Kafka offsets are 64-bit.
 *   A committed offset is the offset of the NEXT record to read (last processed + 1), as in Kafka.
 * - Keys and values are bytes (`Buffer`) or `null`; serialization happens above the transport.
 * - Timestamps are milliseconds since the epoch (numbers).
 * - Keys are assigned to partitions with Kafka's default partitioner (murmur2 of the key bytes,
 *   `& 0x7fffffff`, modulo the partition count) unless a record names its partition; records
 *   without key and partition are spread over partitions (round robin or sticky).
 * - Every method that talks to the broker may reject with a `TransportError` (src/errors.ts)
 *   naming the operation, the topic/partition when there is one, and what to do.
 */

import type { RecordBuffer } from './record-buffer.js';

export type Offset = string;

/** Record headers. Drivers deliver header values as Buffers; senders may give strings. */
export type RecordHeaders = Readonly<Record<string, Buffer | string | undefined>>;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** For commits and positions: the next offset to read (last processed + 1). */
  readonly offset: Offset;
}

/** A record to produce. */
export interface ProducerRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RecordHeaders;
  /** Explicit partition; when absent the driver partitions by key (murmur2) as Kafka does. */
  readonly partition?: number;
  /** Create time in ms; when absent the driver (or broker) stamps the current time. */
  readonly timestamp?: number;
}

/** Where a produced record landed. */
export interface RecordMetadata extends TopicPartition {
  readonly offset: Offset;
}

/** A record as consumed. Drivers must not mutate a record after delivering it. */
export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: Offset;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  readonly timestamp: number;
  /**
   * Optional, for records whose bytes lie in a larger buffer (the embedded broker's log): decodes
   * the key or value where it lies, with `decoder.decodeRange`, instead of making a Buffer view of
   * it (null for a null key or value).
   */
  readKey?<T>(decoder: RangeDecoder<T>): T | null;
  readValue?<T>(decoder: RangeDecoder<T>): T | null;
}

/** Decodes the bytes `bytes[start, end)` where they lie (a codec with `decodeRange`). */
export interface RangeDecoder<T> {
  decodeRange(bytes: Buffer, start: number, end: number): T;
}

/** Consecutive records of ONE partition, in offset order (gaps allowed: compaction, markers). */
export interface RecordBatch extends TopicPartition {
  readonly records: readonly ConsumerRecord[];
  /** The partition's high watermark when the batch was fetched (offset of the next record). */
  readonly highWatermark: Offset;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
  /** Broker topic config, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface TopicDescription {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** Offset of the first record still held (the log start). */
  readonly low: Offset;
  /** Offset the next produced record will get (the high watermark). */
  readonly high: Offset;
}

export interface Admin {
  /**
   * Creates the topics that do not exist. An existing topic is checked (src/transport/topic-check.ts):
   * another partition count or declared cleanup.policy rejects with a TopicMismatchError (a
   * ConfigError), fewer replicas than requested is logged. Resolves once the topics can be
   * produced to and consumed from.
   */
  createTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Describes existing topics; rejects with a TransportError naming any topic that does not exist. */
  describeTopics(topics: readonly string[]): Promise<readonly TopicDescription[]>;
  /** Names of all existing topics. */
  listTopics(): Promise<readonly string[]>;
  /** Low and high watermarks of each partition of a topic. */
  fetchTopicOffsets(topic: string): Promise<readonly PartitionOffsets[]>;
  /** The committed offsets of a consumer group for a topic (partitions without a commit are absent). */
  fetchCommittedOffsets(groupId: string, topic: string): Promise<readonly TopicPartitionOffset[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
}

export interface ProducerOptions {
  /**
   * When set, the producer is transactional with this id (exactly-once): `transaction()` works
   * and a producer with the same id started later fences this one.
   */
  readonly transactionalId?: string;
  /** Idempotent producer (no duplicates on retry); implied by `transactionalId`. */
  readonly idempotent?: boolean;
}

export interface SendOptions {
  /** Whether the caller needs per-record metadata. Default true. */
  readonly metadata?: boolean;
}

export interface TopicRecords {
  readonly topic: string;
  readonly records: readonly ProducerRecord[];
}

export interface Producer {
  /**
   * Sends records to one topic. Resolves when the broker has acknowledged all of them (acks=all),
   * with their metadata in the order given. Records of one call to one partition keep their order.
   * Rejects if any record could not be written; the runtime treats the batch as failed.
   */
  send(topic: string, records: readonly ProducerRecord[]): Promise<readonly RecordMetadata[]>;
  /**
   * Like `send`, for several topics in one request. Metadata in the order given, topic by topic;
   * with `{ metadata: false }` the driver may resolve with an empty array instead (the runtime's
   * batched send path never reads it, and building it costs an object per record).
   */
  sendBatch(batches: readonly TopicRecords[], options?: SendOptions): Promise<readonly RecordMetadata[]>;
  /**
   * Optional: like `sendBatch` with `{ metadata: false }`, for records encoded into one buffer per
   * topic (the runtime's send path). A driver that can keep the bytes as they are (the embedded
   * broker) implements it to skip a Buffer and a record object per record; the runtime gives any
   * other driver `sendBatch` of `buffer.toProducerRecords()`.
   */
  sendBuffered?(buffers: readonly RecordBuffer[]): Promise<void>;
  /**
   * Begins a transaction (only with `transactionalId`). Sends through it are invisible to
   * read-committed consumers until `commit`; `abort` discards them. The memory driver may apply
   * the whole transaction atomically at `commit`.
   */
  transaction(): Promise<Transaction>;
  /** Flushes what is pending and releases the connection. */
  close(): Promise<void>;
}

export interface Transaction {
  send(topic: string, records: readonly ProducerRecord[]): Promise<void>;
  /** Commits a consumer group's offsets as part of the transaction (consume-transform-produce). */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface ConsumerOptions {
  /** The consumer group. Members of one group share the partitions of the subscribed topics. */
  readonly groupId: string;
  /** Where to start a partition that has no committed offset for the group. Default `earliest`. */
  readonly fromBeginning?: boolean;
  /** Upper bound on records in one delivered batch. Default 1000. */
  readonly maxBatchSize?: number;
  /** Read only committed transactional records (default true). */
  readonly readCommitted?: boolean;
}

/**
 * What the runtime gives a consumer to run. The driver calls these; it awaits each promise as
 * documented, which is how the runtime applies back-pressure and runs table recovery.
 */
export interface ConsumerHandlers {
  /**
   * Partitions newly assigned to this member. Awaited before any batch of these partitions is
   * delivered: the runtime recovers table state here. A rejection stops the consumer (run's
   * error). Called with every assignment, including the first one.
   */
  onAssigned(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Partitions about to be taken from this member. Awaited before the partitions are given away:
   * the runtime finishes or abandons in-flight events and commits what is done. No batch of these
   * partitions is delivered after this is called (until they are assigned again).
   */
  onRevoked(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * A batch of one partition. The driver does not deliver the next batch of the SAME partition
   * until the returned promise settles (batches of different partitions may be in flight at the
   * same time); the runtime resolves it when it has queued the records, which is how a slow agent
   * holds back its partitions. A rejection stops the consumer. Delivery does not commit anything:
   * the runtime commits with `commit`.
   */
  onBatch(batch: RecordBatch): Promise<void> | void;
  /** A fatal consumer error (e.g. the group coordinator is gone for good); the consumer stopped. */
  onError?(error: Error): void;
}

export interface Consumer {
  /**
   * Adds topics to the subscription. May be called before `run` or while running; while running,
   * the driver rejoins the group (revoking and assigning through the handlers as in a rebalance).
   */
  subscribe(topics: readonly string[]): Promise<void>;
  /**
   * Joins the group and starts delivering. Resolves once the member has joined and its first
   * assignment has been handed to `onAssigned`, or rejects if it could not join.
   */
  run(handlers: ConsumerHandlers): Promise<void>;
  /**
   * Commits offsets for the group (each the next offset to read). The runtime only ever commits an
   * offset once every earlier offset of that partition has been processed; the driver commits
   * exactly what it is given, and never commits on its own (no auto-commit). Resolves to false
   * when the group refused the commit (a rebalance moved the partitions): nothing was committed,
   * and the caller must not count those offsets as committed (it commits them again later).
   */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<boolean>;
  /**
   * Stops fetching these partitions until `resume`; batches already delivered stay delivered.
   * Pausing is idempotent, and survives until resumed or revoked.
   */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Moves the fetch position of an assigned partition: the next batch starts at `offset`. */
  seek(position: TopicPartitionOffset): void;
  /** Partitions currently assigned to this member. */
  assignment(): readonly TopicPartition[];
  /**
   * Leaves the group: stops fetching, waits for the batch calls in flight to settle, calls
   * `onRevoked` for the assignment, and disconnects. Idempotent.
   */
  stop(): Promise<void>;
}

/** A partition range read outside any consumer group (table changelog recovery). */
export interface PartitionReadOptions {
  /** First offset to read (inclusive). Default: the log start. */
  readonly from?: Offset;
  /** Stop before this offset. Default: the high watermark when the read starts. */
  readonly until?: Offset;
  /** Upper bound on records per yielded array. Default 1000. */
  readonly maxBatchSize?: number;
}

export interface Transport {
  /** The broker URL this transport was opened with, e.g. `memory://` or `kafka://host:9092`. */
  readonly url: string;
  /** Connects (idempotent). Other methods may be called only after it resolved. */
  connect(): Promise<void>;
  admin(): Admin;
  producer(options?: ProducerOptions): Producer;
  consumer(options: ConsumerOptions): Consumer;
  /**
   * Reads one partition from `from` to the high watermark at the time of the call (or `until`),
   * in order, in arrays of records, and then ends. Does not join or commit for any group. Used to
   * rebuild table state from a changelog.
   */
  readPartition(topic: string, partition: number, options?: PartitionReadOptions): AsyncIterable<readonly ConsumerRecord[]>;
  /** Closes every producer, consumer and admin this transport made. Idempotent. */
  close(): Promise<void>;
}

/** Makes a Transport for a URL; drivers register one per URL scheme (see `openTransport`). */
export type TransportFactory = (url: string, options: TransportOptions) => Transport | Promise<Transport>;

export interface TransportOptions {
  /** Client id reported to the broker (the app id by default). */
  readonly clientId?: string;
  // Added for the kafka:// driver (logging of retries, secured clusters); other drivers ignore them.
  /** Where the driver logs connection retries and group changes. Default: silent. */
  readonly logger?: import('../logging.js').Logger;
  /** TLS to the brokers: `true` for the system CAs, or Node's TLS options (ca, cert, key ...). */
  readonly ssl?: boolean | import('node:tls').ConnectionOptions;
  /** SASL authentication; when absent, `MEPHISTO_KAFKA_SASL_*` environment variables are used. */
  readonly sasl?: SaslOptions;
}

export interface SaslOptions {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  /** Handed to the client only; never logged nor put in an error message. */
  readonly password: string;
}
