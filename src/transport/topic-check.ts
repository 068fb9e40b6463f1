/**
 * How a declared topic is checked against the one a broker already has (every driver's
 * `createTopics` does it for the topics that existed).
 */
import { TopicMismatchError } from '../errors.js';
import type { TopicDescription, TopicSpec } from './types.js';

/** The settings whose mismatch changes what the app computes; others (retention ...) are the operator's. */
export function checkTopic(spec: TopicSpec, actual: TopicDescription): void {
  if (actual.partitions !== spec.partitions) {
    throw new TopicMismatchError(
      spec.topic,
      'partitions',
      String(spec.partitions),
      String(actual.partitions),
      actual.partitions < spec.partitions
        ? `Declare partitions: ${actual.partitions}, or add partitions on the broker (kafka-topics.sh --alter --partitions ${spec.partitions}); adding partitions moves keys, so tables keyed by them must be rebuilt.`
        : `Declare partitions: ${actual.partitions} (Kafka cannot remove partitions), or use a new topic.`,
    );
  }
  const declared = spec.config?.['cleanup.policy'];
  const policy = actual.config['cleanup.policy'] ?? 'delete';
  if (declared !== undefined && normalizePolicy(declared) !== normalizePolicy(policy)) {
    throw new TopicMismatchError(
      spec.topic,
      'cleanup.policy',
      declared,
      policy,
      `Change the topic (kafka-configs.sh --alter --entity-type topics --entity-name ${spec.topic} --add-config cleanup.policy=${declared}) or the declaration.`,
    );
  }
}

function normalizePolicy(policy: string): string {
  return policy.split(',').map((p) => p.trim()).sort().join(',');
}

/** A warning when the topic has fewer replicas than declared (durability is the operator's call, not a mismatch). */
export function replicationShortfall(spec: TopicSpec, actual: TopicDescription): string | undefined {
  if (spec.replicationFactor === undefined || actual.replicationFactor >= spec.replicationFactor) return undefined;
  return `Topic ${spec.topic} has replication factor ${actual.replicationFactor}, fewer than the ${spec.replicationFactor} declared: it survives fewer broker failures than asked (kafka-reassign-partitions.sh can add replicas)`;
}
