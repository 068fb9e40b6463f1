/**
 * The `kafka://` driver of the Transport interface, on kafkajs.
 *
 *   kafka://127.0.0.1:9092                 one bootstrap broker
 *   kafka://b1:9092,b2:9092?sessionTimeout=10000
 *
 * See ./config.ts for the URL parameters and the SSL/SASL settings (options or environment).
 */
import kafkajs, { type Admin as KafkajsAdmin, type Kafka as KafkaClient } from 'kafkajs';
import { TransportError } from '../../errors.js';
import type {
  Admin,
  Consumer,
  ConsumerOptions,
  ConsumerRecord,
  PartitionReadOptions,
  Producer,
  ProducerOptions,
  Transport,
  TransportFactory,
  TransportOptions,
} from '../types.js';
import { KafkaAdmin } from './admin.js';
import { kafkaSettings, type KafkaSettings } from './config.js';
import { KafkaConsumer } from './consumer.js';
import { toTransportError } from './errors.js';
import { KafkaProducer, type PartitionCounts } from './producer.js';
import { readPartition } from './read-partition.js';

const { Kafka } = kafkajs;

export { kafkaSettings, parseKafkaUrl, type KafkaSettings, type KafkaTuning } from './config.js';

export class KafkaTransport implements Transport {
  readonly kafka: KafkaClient;
  readonly settings: KafkaSettings;
  readonly #admin: KafkaAdmin;
  readonly #producers = new Set<KafkaProducer>();
  readonly #consumers = new Set<KafkaConsumer>();
  readonly #partitionCounts = new Map<string, number>();
  #adminClient: Promise<KafkajsAdmin> | undefined;
  #closed = false;

  constructor(
    readonly url: string,
    options: TransportOptions = {},
  ) {
    this.settings = kafkaSettings(url, options);
    this.kafka = new Kafka(this.settings.client);
    this.#admin = new KafkaAdmin(() => this.#adminConnected(), this.settings.brokers, this.settings.logger);
  }

  #adminConnected(): Promise<KafkajsAdmin> {
    if (this.#closed) return Promise.reject(new TransportError('admin', 'the transport is closed; open a new one'));
    this.#adminClient ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    this.#adminClient.catch(() => (this.#adminClient = undefined));
    return this.#adminClient;
  }

  /** Fails within seconds when no broker answers (later operations retry for much longer). */
  async connect(): Promise<void> {
    // The client's retry settings govern connecting; a probe client of its own fails fast.
    const probe = new Kafka({ ...this.settings.client, retry: { initialRetryTime: 300, maxRetryTime: 3_000, retries: 3 } }).admin();
    try {
      await probe.connect();
      await probe.describeCluster();
    } catch (error) {
      throw toTransportError('connect', error, this.settings.brokers);
    } finally {
      await probe.disconnect().catch(() => {});
    }
  }

  admin(): Admin {
    return this.#admin;
  }

  readonly #counts: PartitionCounts = {
    count: (topic) => {
      const known = this.#partitionCounts.get(topic);
      if (known !== undefined) return known;
      return this.#admin.describePartitions(topic).then((count) => {
        this.#partitionCounts.set(topic, count);
        return count;
      });
    },
    forget: (topic) => {
      this.#partitionCounts.delete(topic);
    },
  };

  producer(options: ProducerOptions = {}): Producer {
    if (this.#closed) throw new TransportError('producer', 'the transport is closed; open a new one');
    const producer = new KafkaProducer(this.kafka, options, this.#counts, this.settings.brokers, this.settings.logger);
    this.#producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    if (this.#closed) throw new TransportError('consumer', 'the transport is closed; open a new one');
    const consumer = new KafkaConsumer(this.kafka, options, this.settings.tuning, this.settings.brokers, this.settings.logger);
    this.#consumers.add(consumer);
    return consumer;
  }

  readPartition(topic: string, partition: number, options?: PartitionReadOptions): AsyncIterable<readonly ConsumerRecord[]> {
    return readPartition(this.kafka, this.#admin, this.settings.brokers, topic, partition, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const consumers = [...this.#consumers].map((c) => c.stop().catch(() => {}));
    await Promise.all(consumers);
    await Promise.all([...this.#producers].map((p) => p.close().catch(() => {})));
    const admin = this.#adminClient;
    this.#adminClient = undefined;
    if (admin !== undefined) await (await admin.catch(() => undefined))?.disconnect();
  }
}

export const createKafkaTransport: TransportFactory = (url, options) => new KafkaTransport(url, options);
