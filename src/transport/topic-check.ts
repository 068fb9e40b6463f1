/**
 * What a driver's `createTopics` checks on a topic that exists already, the same for every driver:
 * the settings whose mismatch changes what the app computes are refused (TopicMismatchError, a
 * ConfigError), a replication below the one asked for is logged; the rest (retention ...) is the
 * operator's.
 */
import { TopicMismatchError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { TopicDescription, TopicSpec } from './types.js';

/** Refuses an existing topic whose partition count or (declared) cleanup policy differs from `spec`. */
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

/**
 * `checkTopic`, then a warning when the topic has fewer replicas than `requested` (the spec's,
 * else what the driver would create it with): it works, but survives fewer broker failures.
 */
export function checkExistingTopic(spec: TopicSpec, actual: TopicDescription, requested: number, logger: Logger): void {
  checkTopic(spec, actual);
  if (actual.replicationFactor < requested) {
    logger.warn(`Topic ${spec.topic} exists with replication factor ${actual.replicationFactor}, lower than the ${requested} requested; it survives fewer broker failures (kafka-reassign-partitions.sh can add replicas)`, {
      topic: spec.topic,
      replicationFactor: actual.replicationFactor,
      requested,
    });
  }
}

function normalizePolicy(policy: string): string {
  return policy.split(',').map((p) => p.trim()).sort().join(',');
}
