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

/**
 * Metadata errors a broker returns while a partition's leadership settles: right after a topic
 * was created, during a leader election or a broker restart. The same request succeeds a moment
 * later. UNKNOWN_TOPIC_OR_PARTITION is one of them only for a topic just created (see admin.ts).
 */
const SETTLING_METADATA = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'UNKNOWN_LEADER_EPOCH',
  'FENCED_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'NOT_CONTROLLER',
  'REQUEST_TIMED_OUT',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR',
  'KAFKA_STORAGE_ERROR',
]);

/** The kafkajs error types along an error's cause chain (and in an aggregate's errors). */
function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (e === null || typeof e !== 'object' || depth > 8) return;
    const shape = e as KafkajsErrorShape & { errors?: unknown };
    if (typeof shape.type === 'string') types.push(shape.type);
    if (Array.isArray(shape.errors)) for (const inner of shape.errors) visit(inner, depth + 1);
    visit(shape.cause, depth + 1);
  };
  visit(error, 0);
  return types;
}

/**
 * Whether an admin request failed on metadata that is still settling (retry it after a backoff),
 * rather than on something a retry cannot change. `justCreated`: the request is about a topic
 * this client created moments ago, so that "unknown topic" means "not everywhere yet".
 */
export function isSettlingMetadataError(error: unknown, justCreated = false): boolean {
  return errorTypes(error).some((type) => SETTLING_METADATA.has(type) || (justCreated && type === 'UNKNOWN_TOPIC_OR_PARTITION'));
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
