/** Shared helpers of the Kafka suite: addresses from the environment, random names, waiting. */
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';

export const brokers = (process.env.MEPHISTO_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const kafkaUrl = `kafka://${brokers.join(',')}`;
export const registryUrl = process.env.MEPHISTO_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
/** The SASL_PLAINTEXT listener of scripts/kafka.sh: the PLAINTEXT port + 2. */
export const saslBroker = (() => {
  const [host, port] = brokers[0]!.split(':');
  return `${host}:${Number(port) + 2}`;
})();

/** A name no other test run uses (as kafkajs's own tests do). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A raw kafkajs client, for producing and reading outside mephisto. */
export function rawKafka(clientId = 'mephisto-kafka-suite'): kafkajs.Kafka {
  return new kafkajs.Kafka({ clientId, brokers, logLevel: kafkajs.logLevel.NOTHING });
}

/** Polls until `check` returns a value other than undefined, or fails with `what` after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
