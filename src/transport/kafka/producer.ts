/** The Producer of the kafka:// driver: batched, acks=all sends; transactions for exactly-once. */
import kafkajs from 'kafkajs';
import type { Kafka, Message, Producer as KafkajsProducer, RecordMetadata as KafkajsMetadata, Transaction as KafkajsTransaction } from 'kafkajs';
import { TransportError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { partitionForKey } from '../partitioner.js';
import type { Producer, ProducerOptions, ProducerRecord, RecordMetadata, TopicPartitionOffset, TopicRecords, Transaction } from '../types.js';
import { isFencedError, toTransportError } from './errors.js';

const { Partitioners } = kafkajs;

/** Kafka refuses record batches above the broker's message.max.bytes (1 MiB by default). */
const MAX_REQUEST_BYTES = 768 * 1024;
/** Per-record overhead in a v2 record batch, roughly: varints, attributes, deltas. */
const RECORD_OVERHEAD = 24;
/**
 * Records per produce request. kafkajs groups a request's messages by partition by copying the
 * partition's array for every message (quadratic in the request's size): a table's commit-time
 * changelog flush of 60,000 records spent 30% of the worker's CPU there. Measured per record
 * (4 partitions): ~2.6 µs at 1,000 records a request, 5.5 µs at 2,000, 21 µs at 20,000, 107 µs at
 * 60,000; below 1,000 it stays flat while requests (one in flight when idempotent) multiply.
 */
export const MAX_REQUEST_RECORDS = 1_000;

/** Partition counts of topics, for partitioning on our side so that each record's offset is known. */
export interface PartitionCounts {
  count(topic: string): number | Promise<number>;
  forget(topic: string): void;
}

interface Placed {
  readonly topic: string;
  readonly messages: Message[];
  /** For each record given, in order: its partition. */
  readonly partitions: number[];
}

function recordSize(record: ProducerRecord): number {
  let size = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers !== undefined) {
    for (const name in record.headers) {
      const value = record.headers[name];
      if (value !== undefined) size += name.length + value.length + 2;
    }
  }
  return size;
}

function toMessage(record: ProducerRecord, partition: number): Message {
  const message: Message = { key: record.key, value: record.value, partition };
  if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
  if (record.headers !== undefined) {
    const headers: Record<string, Buffer | string> = {};
    for (const name in record.headers) {
      const value = record.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    message.headers = headers;
  }
  return message;
}

export class KafkaProducer implements Producer {
  readonly #producer: KafkajsProducer;
  readonly #connected: Promise<void>;
  readonly #roundRobin = new Map<string, number>();
  #closed = false;

  constructor(
    kafka: Kafka,
    readonly options: ProducerOptions,
    readonly partitionCounts: PartitionCounts,
    readonly brokers: readonly string[],
    readonly logger: Logger,
  ) {
    const transactional = options.transactionalId !== undefined;
    // Idempotent unless told otherwise (as Kafka's own clients since 3.0): a retried request, e.g.
    // right after a topic was created or across a broker restart, never writes records twice.
    // kafkajs keeps sequence numbers right only with one request in flight.
    const idempotent = transactional || options.idempotent !== false;
    this.#producer = kafka.producer({
      allowAutoTopicCreation: false,
      // Every record gets its partition here (Kafka's default partitioner, ../partitioner.ts).
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent,
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
      ...(transactional ? { transactionalId: options.transactionalId, transactionTimeout: 60_000 } : {}),
    });
    // Connecting at once makes a transactional producer fence its predecessor (same transactional
    // id, e.g. on a worker that died) as early as possible. Failures surface on first use.
    this.#connected = this.#producer.connect();
    this.#connected.catch(() => {});
  }

  async #ready(operation: string, topic?: string): Promise<void> {
    if (this.#closed) throw new TransportError(operation, 'the producer is closed', { topic });
    try {
      await this.#connected;
    } catch (error) {
      throw toTransportError(operation, error, this.brokers, { topic });
    }
  }

  /** Chooses each record's partition (Kafka's default partitioner) and cuts requests to size and count. */
  async #place(batches: readonly TopicRecords[], operation: string): Promise<Placed[][]> {
    const requests: Placed[][] = [];
    let current: Placed[] = [];
    let bytes = 0;
    let count = 0;
    for (const { topic, records } of batches) {
      const partitionCount = await this.partitionCounts.count(topic);
      let placed: Placed | undefined;
      for (const record of records) {
        let partition = record.partition;
        if (partition === undefined) {
          if (record.key !== null) partition = partitionForKey(record.key, partitionCount);
          else {
            partition = this.#roundRobin.get(topic) ?? 0;
            this.#roundRobin.set(topic, (partition + 1) % partitionCount);
          }
        } else if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
          throw new TransportError(operation, `partition ${partition} does not exist (the topic has ${partitionCount})`, { topic, partition });
        }
        const size = recordSize(record);
        if ((bytes + size > MAX_REQUEST_BYTES || count === MAX_REQUEST_RECORDS) && count > 0) {
          requests.push(current);
          current = [];
          bytes = 0;
          count = 0;
          placed = undefined;
        }
        if (placed === undefined) current.push((placed = { topic, messages: [], partitions: [] }));
        placed.messages.push(toMessage(record, partition));
        placed.partitions.push(partition);
        bytes += size;
        count++;
      }
    }
    if (current.length > 0) requests.push(current);
    return requests;
  }

  /** Each record's offset: its partition's base offset in the response plus its rank there. */
  static #metadata(request: Placed[], response: readonly KafkajsMetadata[]): RecordMetadata[] {
    const out: RecordMetadata[] = [];
    for (const { topic, partitions } of request) {
      const next = new Map<number, number>();
      for (const partition of partitions) {
        let offset = next.get(partition);
        if (offset === undefined) {
          const entry = response.find((m) => m.topicName === topic && m.partition === partition);
          offset = Number(entry?.baseOffset ?? entry?.offset ?? -1);
        }
        out.push({ topic, partition, offset: offset < 0 ? '-1' : String(offset) });
        next.set(partition, offset + 1);
      }
    }
    return out;
  }

  async #sendAll(
    batches: readonly TopicRecords[],
    operation: string,
    via: KafkajsProducer | KafkajsTransaction,
  ): Promise<RecordMetadata[]> {
    const topic = batches.length === 1 ? batches[0]!.topic : undefined;
    const metadata: RecordMetadata[] = [];
    for (const request of await this.#place(batches, operation)) {
      try {
        const response = await via.sendBatch({
          acks: -1,
          topicMessages: request.map(({ topic: t, messages }) => ({ topic: t, messages })),
        });
        metadata.push(...KafkaProducer.#metadata(request, response));
      } catch (error) {
        for (const { topic: t } of request) this.partitionCounts.forget(t);
        throw toTransportError(operation, error, this.brokers, { topic });
      }
    }
    return metadata;
  }

  async send(topic: string, records: readonly ProducerRecord[]): Promise<readonly RecordMetadata[]> {
    await this.#ready('send', topic);
    if (records.length === 0) return [];
    return this.#sendAll([{ topic, records }], 'send', this.#producer);
  }

  async sendBatch(batches: readonly TopicRecords[]): Promise<readonly RecordMetadata[]> {
    await this.#ready('sendBatch');
    const nonEmpty = batches.filter((b) => b.records.length > 0);
    if (nonEmpty.length === 0) return [];
    return this.#sendAll(nonEmpty, 'sendBatch', this.#producer);
  }

  async transaction(): Promise<Transaction> {
    const id = this.options.transactionalId;
    if (id === undefined) throw new TransportError('transaction', 'the producer is not transactional; create it with a transactionalId');
    await this.#ready('transaction');
    let transaction: KafkajsTransaction;
    try {
      transaction = await this.#producer.transaction();
    } catch (error) {
      throw this.#transactionError('transaction', id, error);
    }
    let state: 'open' | 'committed' | 'aborted' = 'open';
    const ensureOpen = (operation: string) => {
      if (state !== 'open') throw new TransportError(operation, `the transaction of ${id} is already ${state}`);
    };
    return {
      send: async (topic, records) => {
        ensureOpen('send');
        if (records.length === 0) return;
        try {
          await this.#sendAll([{ topic, records }], 'send', transaction);
        } catch (error) {
          throw this.#transactionError('send', id, (error as { cause?: unknown }).cause ?? error, topic);
        }
      },
      sendOffsets: async (groupId: string, offsets: readonly TopicPartitionOffset[]) => {
        ensureOpen('sendOffsets');
        const byTopic = new Map<string, { partition: number; offset: string }[]>();
        for (const o of offsets) {
          let list = byTopic.get(o.topic);
          if (list === undefined) byTopic.set(o.topic, (list = []));
          list.push({ partition: o.partition, offset: o.offset });
        }
        try {
          await transaction.sendOffsets({
            consumerGroupId: groupId,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          });
        } catch (error) {
          throw this.#transactionError('sendOffsets', id, error);
        }
      },
      commit: async () => {
        ensureOpen('commit');
        try {
          await transaction.commit();
          state = 'committed';
        } catch (error) {
          state = 'aborted';
          throw this.#transactionError('commit', id, error);
        }
      },
      abort: async () => {
        if (state !== 'open') return;
        state = 'aborted';
        try {
          await transaction.abort();
        } catch (error) {
          // A fenced producer cannot abort; its transaction is aborted by the one that fenced it.
          if (!isFencedError(error)) throw this.#transactionError('abort', id, error);
        }
      },
    };
  }

  #transactionError(operation: string, id: string, error: unknown, topic?: string): TransportError {
    if (isFencedError(error)) {
      return new TransportError(
        operation,
        `producer with transactional id ${id} was fenced by a newer one (another worker owns its partition now); this transaction is aborted`,
        { topic },
        { cause: error },
      );
    }
    return toTransportError(operation, error, this.brokers, { topic });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#connected;
    } catch {
      return;
    }
    await this.#producer.disconnect();
  }
}
