/** The Admin of the kafka:// driver: topics created with their settings, and checked when they exist. */
import kafkajs, { type Admin as KafkajsAdmin, type ITopicConfig } from 'kafkajs';
import { TransportError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logging.js';
import { checkExistingTopic } from '../topic-check.js';
import type { Admin, PartitionOffsets, TopicDescription, TopicPartitionOffset, TopicSpec } from '../types.js';
import { isSettlingMetadataError, toTransportError } from './errors.js';

export { checkTopic } from '../topic-check.js';

// kafkajs is CommonJS; not every export of it is visible to ESM as a named import.
const { ConfigResourceTypes } = kafkajs;

/** Backoff of admin requests that failed on settling metadata (NOT_LEADER_FOR_PARTITION ...). */
export interface AdminRetry {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** The first delay; each next one doubles, up to maxMs. */
  readonly initialMs: number;
  readonly maxMs: number;
}

/** About 15 s in all: longer than a leader election on a healthy cluster takes. */
export const defaultAdminRetry: AdminRetry = { retries: 10, initialMs: 100, maxMs: 3_000 };
/** For this long after this client created a topic, "unknown topic" about it means "not everywhere yet". */
const JUST_CREATED_MS = 60_000;

export class KafkaAdmin implements Admin {
  /** Topics this client created (or found created by a concurrent worker), and when. */
  readonly #created = new Map<string, number>();

  constructor(
    /** Connects the shared kafkajs admin on first use. */
    readonly client: () => Promise<KafkajsAdmin>,
    readonly brokers: readonly string[],
    readonly logger: Logger = silentLogger,
    readonly retry: AdminRetry = defaultAdminRetry,
  ) {}

  /**
   * Runs one admin request. Metadata that is still settling (a topic just created, a leader
   * moving) is retried with backoff and logged, so that it never stops a worker; anything else,
   * or settling that outlasts the retries, is a TransportError.
   */
  async #call<T>(operation: string, run: (admin: KafkajsAdmin) => Promise<T>, topic?: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run(await this.client());
      } catch (error) {
        if (attempt >= this.retry.retries || !isSettlingMetadataError(error, this.#justCreated(topic))) {
          throw toTransportError(operation, error, this.brokers, { topic });
        }
        const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** attempt);
        this.logger.warn(`Kafka admin ${operation}: partition metadata is still settling; retrying in ${delay} ms`, {
          topic,
          attempt: attempt + 1,
          of: this.retry.retries,
          error: (error as Error).message,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #justCreated(topics: string | undefined): boolean {
    if (topics === undefined) return false;
    const now = Date.now();
    return topics.split(', ').some((t) => now - (this.#created.get(t) ?? -Infinity) < JUST_CREATED_MS);
  }

  /**
   * Creates the missing topics (replication defaults to the cluster size, at most 3), then checks
   * every declared topic that already existed: a different partition count or cleanup policy is a
   * TopicMismatchError, never silently accepted; fewer replicas than requested is logged.
   */
  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    const existing = new Set(await this.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    const brokerCount = await this.#call('createTopics', async (admin) => (await admin.describeCluster()).brokers.length);
    const replication = (spec: TopicSpec) => spec.replicationFactor ?? Math.min(3, brokerCount);
    if (missing.length > 0) {
      const requests: ITopicConfig[] = missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: replication(spec),
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      }));
      try {
        await (await this.client()).createTopics({ topics: requests, waitForLeaders: false, timeout: 30_000 });
        for (const spec of missing) this.#created.set(spec.topic, Date.now());
        await this.#awaitLeaders(missing.map((t) => t.topic));
      } catch (error) {
        // Another worker of the app may have created some of them in the meantime: that is fine,
        // the check below compares them like any existing topic.
        if (!/TOPIC_ALREADY_EXISTS|already exists/i.test(`${(error as { type?: string }).type} ${(error as Error).message}`)) {
          throw toTransportError('createTopics', error, this.brokers, { topic: missing.map((t) => t.topic).join(', ') });
        }
        for (const spec of missing) this.#created.set(spec.topic, Date.now());
        await this.#awaitLeaders(missing.map((t) => t.topic));
        for (const spec of missing) existing.add(spec.topic);
      }
    }
    const declaredExisting = topics.filter((t) => existing.has(t.topic));
    if (declaredExisting.length > 0) {
      const described = await this.describeTopics(declaredExisting.map((t) => t.topic));
      for (const spec of declaredExisting) checkExistingTopic(spec, described.find((d) => d.topic === spec.topic)!, replication(spec), this.logger);
    }
  }

  /** A new topic is usable once every partition has a leader; the metadata may lag behind the create. */
  async #awaitLeaders(topics: readonly string[]): Promise<void> {
    const admin = await this.client();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: [...topics] })
        .then((m) => topics.every((t) => {
          const partitions = m.topics.find((x) => x.name === t)?.partitions ?? [];
          return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
        }))
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) {
        throw new TransportError('createTopics', 'the topics were created but have no partition leader after 30 s; check the broker logs', { topic: topics.join(', ') });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async describeTopics(topics: readonly string[]): Promise<readonly TopicDescription[]> {
    if (topics.length === 0) return [];
    const known = new Set(await this.listTopics());
    const absent = topics.filter((t) => !known.has(t));
    if (absent.length > 0) {
      throw new TransportError('describeTopics', 'the topic does not exist; create it or declare it in the app', { topic: absent.join(', ') });
    }
    return this.#call('describeTopics', async (admin) => {
      const [metadata, configs] = await Promise.all([
        admin.fetchTopicMetadata({ topics: [...topics] }),
        admin.describeConfigs({
          includeSynonyms: false,
          resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
        }),
      ]);
      return topics.map((topic) => {
        const meta = metadata.topics.find((t) => t.name === topic)!;
        const resource = configs.resources.find((r) => r.resourceName === topic);
        const config: Record<string, string> = {};
        for (const entry of resource?.configEntries ?? []) {
          if (entry.configValue !== null && !entry.isSensitive) config[entry.configName] = entry.configValue;
        }
        return {
          topic,
          partitions: meta.partitions.length,
          replicationFactor: meta.partitions[0]?.replicas.length ?? 0,
          config,
        };
      });
    }, topics.join(', '));
  }

  /** The partition count of one topic (for partitioning records on the producer side). */
  async describePartitions(topic: string): Promise<number> {
    const metadata = await this.#call('send', (admin) => admin.fetchTopicMetadata({ topics: [topic] }), topic);
    const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count === 0) throw new TransportError('send', 'the topic does not exist; create it or declare it in the app', { topic });
    return count;
  }

  async listTopics(): Promise<readonly string[]> {
    return this.#call('listTopics', (admin) => admin.listTopics());
  }

  async fetchTopicOffsets(topic: string): Promise<readonly PartitionOffsets[]> {
    const offsets = await this.#call('fetchTopicOffsets', (admin) => admin.fetchTopicOffsets(topic), topic);
    return offsets
      .map(({ partition, low, high }) => ({ partition, low, high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async fetchCommittedOffsets(groupId: string, topic: string): Promise<readonly TopicPartitionOffset[]> {
    const result = await this.#call('fetchCommittedOffsets', (admin) => admin.fetchOffsets({ groupId, topics: [topic] }), topic);
    return (result.find((t) => t.topic === topic)?.partitions ?? [])
      .filter((p) => p.offset !== '-1')
      .map((p) => ({ topic, partition: p.partition, offset: p.offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.#call('deleteTopics', (admin) => admin.deleteTopics({ topics: [...topics], timeout: 30_000 }), topics.join(', '));
  }
}
