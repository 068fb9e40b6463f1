/** kafkajs errors turned into TransportErrors that say what to do. */
import { TransportError } from '../../errors.js';

interface KafkajsErrorShape {
  name?: string;
  type?: string;
  message?: string;
  cause?: unknown;
}

function rootCause(error: unknown): KafkajsErrorShape {
  let current = error as KafkajsErrorShape;
  for (let depth = 0; depth < 8 && current?.cause !== undefined; depth++) current = current.cause as KafkajsErrorShape;
  return current ?? {};
}

/** Whether an error means the producer lost its transactional id to a newer producer. */
export function isFencedError(error: unknown): boolean {
  const causes = [error as KafkajsErrorShape, rootCause(error)];
  return causes.some((e) => e?.type === 'INVALID_PRODUCER_EPOCH' || e?.type === 'PRODUCER_FENCED');
}

/** Whether an error comes from the group moving on (a rebalance) rather than from a broker failure. */
export function isRebalanceError(error: unknown): boolean {
  const type = (error as KafkajsErrorShape)?.type ?? rootCause(error).type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'ILLEGAL_GENERATION' || type === 'UNKNOWN_MEMBER_ID' || type === 'NOT_COORDINATOR';
}

function advice(error: unknown, brokers: readonly string[]): string {
  const root = rootCause(error);
  const text = `${root.name ?? ''} ${root.type ?? ''} ${root.message ?? ''}`;
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|Connection timeout|KafkaJSConnectionError|NoBrokerAvailable/i.test(text)) {
    return ` Is a broker running at ${brokers.join(',')}? (locally: scripts/kafka.sh start)`;
  }
  if (/SASL|authentication/i.test(text)) return ' Check the SASL mechanism, username and password (transport options or MEPHISTO_KAFKA_SASL_*).';
  if (/UNKNOWN_TOPIC_OR_PARTITION/.test(text)) return ' Create the topic, or declare it in the app so that it is created on start.';
  if (/INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/.test(text)) return ' Another producer with the same transactional id took over (another worker owns the partition now).';
  if (/TOPIC_AUTHORIZATION_FAILED|GROUP_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED/.test(text)) return ' Grant this client the ACLs it needs.';
  return '';
}

export function toTransportError(
  operation: string,
  error: unknown,
  brokers: readonly string[],
  where: { topic?: string | undefined; partition?: number | undefined } = {},
): TransportError {
  if (error instanceof TransportError) return error;
  const e = error as KafkajsErrorShape;
  const root = rootCause(error);
  const type = e?.type ?? root.type;
  const message = `${e?.message ?? String(error)}${type !== undefined && !(e?.message ?? '').includes(type) ? ` (${type})` : ''}`;
  return new TransportError(operation, `${message}.${advice(error, brokers)}`, where, { cause: error });
}
