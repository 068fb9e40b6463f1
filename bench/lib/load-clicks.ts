import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Message } from 'kafkajs';
import type { AvroSchemaJSON } from '../../src/serde/codec.js';
import { clickWriter, confluentFrame, generateClicks, type ClickSpec } from './clicks.js';

/**
 * Loads deterministic click events into a Kafka topic as Confluent-framed Avro (the writer schema
 * registered under `<topic>-value`), keyed by url so that every url lives in one partition.
 * Shared by the benches that run on a real broker.
 */
export interface LoadClicksOptions {
  readonly brokers: readonly string[];
  /** Base URL of a Confluent-compatible registry (e.g. Apicurio's `/apis/ccompat/v7`). */
  readonly registryUrl: string;
  readonly topic: string;
  readonly partitions: number;
  readonly schema: AvroSchemaJSON;
  readonly spec: ClickSpec;
  /** Messages per produce request. */
  readonly batchSize?: number;
}

export interface LoadedClicks {
  readonly topic: string;
  readonly schemaId: number;
  readonly events: number;
  readonly millis: number;
}

/** Registers the Click schema under `<topic>-value` and returns its id. */
export async function registerClickSchema(registryUrl: string, topic: string, schema: AvroSchemaJSON): Promise<number> {
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
    { subject: `${topic}-value` },
  );
  return id;
}

export async function loadClicks(options: LoadClicksOptions): Promise<LoadedClicks> {
  const started = performance.now();
  const kafka = new Kafka({ clientId: 'mephisto-bench-loader', brokers: [...options.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: options.topic, numPartitions: options.partitions, replicationFactor: 1 }],
    });
    const schemaId = await registerClickSchema(options.registryUrl, options.topic, options.schema);
    const write = clickWriter(options.schema);
    const batchSize = options.batchSize ?? 5_000;
    const inFlight = new Set<Promise<unknown>>();
    let batch: Message[] = [];
    const flush = async () => {
      const sending = producer.send({ topic: options.topic, messages: batch });
      batch = [];
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending)).catch(() => undefined);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    };
    for (const click of generateClicks(options.spec)) {
      batch.push({ key: click.url, value: confluentFrame(schemaId, write(click)) });
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    await Promise.all(inFlight);
    return { topic: options.topic, schemaId, events: options.spec.count, millis: performance.now() - started };
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}
