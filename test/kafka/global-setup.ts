import { Kafka, logLevel } from 'kafkajs';

/**
 * Fails the Kafka suite at once, with what to do, when the broker or the registry is not there,
 * instead of letting every test time out.
 */
export default async function checkKafkaAndRegistry(): Promise<void> {
  const brokers = process.env.MEPHISTO_KAFKA_BROKERS;
  const registry = process.env.MEPHISTO_REGISTRY_URL;
  if (!brokers || !registry) {
    throw new Error(
      'The Kafka suite needs MEPHISTO_KAFKA_BROKERS and MEPHISTO_REGISTRY_URL. ' +
        'Run it with `npm run test:kafka`, which starts a local broker and registry (scripts/kafka.sh, scripts/registry.sh).',
    );
  }
  const admin = new Kafka({
    clientId: 'mephisto-kafka-suite-setup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw new Error(`No Kafka broker answers at ${brokers} (MEPHISTO_KAFKA_BROKERS): ${String(error)}. Start one with scripts/kafka.sh start.`);
  } finally {
    await admin.disconnect();
  }
  const response = await fetch(`${registry.replace(/\/$/, '')}/subjects`).catch((error: unknown) => error);
  if (!(response instanceof Response) || !response.ok) {
    const why = response instanceof Response ? `HTTP ${response.status}` : String(response);
    throw new Error(`No Schema Registry answers at ${registry} (MEPHISTO_REGISTRY_URL): ${why}. Start one with scripts/registry.sh start.`);
  }
}
