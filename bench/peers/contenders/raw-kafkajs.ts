/**
 * The raw kafkajs contender: what a careful user writes by hand without a framework, and so the
 * ceiling for any kafkajs-based one. An eachBatch loop that strips the Confluent header, decodes
 * with avsc (writer schema fetched once per id), filters and maps, and sends each batch's output in
 * one produce request before committing; for the count workload it counts in a Map and sends the
 * batch's changed counts to a compacted changelog topic before committing.
 *
 * Started by bench/peers/main.ts with the PEERS_* environment (see ../settings.ts).
 */
import avro from 'avsc';
import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import { countTable, logMemoryIfAsked, settingsFromEnv, type PageVisit } from '../settings.js';

const settings = settingsFromEnv();
logMemoryIfAsked();
const kafka = new Kafka({ clientId: settings.appId, brokers: [settings.brokers], logLevel: logLevel.ERROR });
const admin = kafka.admin();
// The fetch settings of mephisto's Kafka transport (src/transport/kafka/config.ts): 1 MiB per
// partition, kafkajs's 10 MiB per fetch, and an idle fetch that returns after 500 ms (kafkajs's
// default, 5 s, only delays a stop; a fetch with data returns at once either way).
const consumer = kafka.consumer({ groupId: settings.appId, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 500 });
const producer = kafka.producer({ allowAutoTopicCreation: false });
const changelog = `${settings.appId}-${countTable}-changelog`;

interface ClickRecord {
  url: string;
  userId: string;
  device: string;
  durationMs: number;
  timestamp: number;
}

const types = new Map<number, avro.Type>();
async function writerType(schemaId: number): Promise<avro.Type> {
  let type = types.get(schemaId);
  if (!type) {
    const response = await fetch(`${settings.registry}/schemas/ids/${schemaId}`);
    if (!response.ok) throw new Error(`registry ${settings.registry}: schema id ${schemaId}: HTTP ${response.status}`);
    const { schema } = (await response.json()) as { schema: string };
    type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
    types.set(schemaId, type);
  }
  return type;
}

function schemaIdOf(value: Buffer): number {
  if (value.length < 5 || value[0] !== 0) throw new Error('not Confluent-framed Avro');
  return value.readUInt32BE(1);
}

const counts = new Map<string, number>();

async function main(): Promise<void> {
  await Promise.all([admin.connect(), consumer.connect(), producer.connect()]);
  if (settings.workload === 'count') {
    // resolves false, without error, when the topic exists already
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic: changelog,
        numPartitions: settings.partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      }],
    });
  }
  await admin.disconnect();
  await consumer.subscribe({ topic: settings.input, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: settings.partitions,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
      const out: Message[] = [];
      if (settings.workload === 'stateless') {
        for (const message of batch.messages) {
          if (!message.value) continue;
          const id = schemaIdOf(message.value);
          const type = types.get(id) ?? (await writerType(id));
          const click = type.fromBuffer(message.value.subarray(5)) as ClickRecord;
          if (click.device === 'BOT') continue;
          const visit: PageVisit = {
            url: click.url,
            userId: click.userId,
            device: click.device,
            seconds: click.durationMs / 1000,
            timestamp: click.timestamp,
          };
          out.push({ key: null, value: JSON.stringify(visit) });
        }
        if (out.length > 0) await producer.send({ topic: settings.output, messages: out, compression: CompressionTypes.None });
      } else {
        const changed = new Set<string>();
        for (const message of batch.messages) {
          if (!message.value) continue;
          const id = schemaIdOf(message.value);
          const type = types.get(id) ?? (await writerType(id));
          const click = type.fromBuffer(message.value.subarray(5)) as ClickRecord;
          counts.set(click.url, (counts.get(click.url) ?? 0) + 1);
          changed.add(click.url);
        }
        for (const url of changed) out.push({ key: url, value: String(counts.get(url)), partition: batch.partition });
        if (out.length > 0) await producer.send({ topic: changelog, messages: out });
      }
      const last = batch.messages.at(-1);
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });
}

async function shutdown(): Promise<void> {
  await consumer.disconnect().catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

main().catch((error: unknown) => {
  console.error('raw-kafkajs contender failed:', error);
  process.exit(1);
});
