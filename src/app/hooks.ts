/**
 * The App's internal interface for components that live beside agents inside the worker: tables
 * (src/tables), the test driver (src/testing), and later ones. Not part of the public API: users
 * never see it. `app.internals` returns it.
 *
 * Lifecycle of a worker, as seen through these hooks:
 *   1. components register (`registerComponent`) while the app is being defined;
 *   2. `app.start()`: transport connected, topics created, then each component's `start()`;
 *   3. the consumer joins the group; on every assignment `onPartitionsAssigned` of every component
 *      is awaited BEFORE any agent sees an event of those partitions (recover tables here);
 *   4. events flow; periodically (and on revocation and shutdown) the runtime commits: it first
 *      flushes the producer, then awaits every component's `beforeCommit`, then commits offsets;
 *   5. on revocation `onPartitionsRevoked` is awaited after in-flight events of those partitions
 *      were finished and committed;
 *   6. `app.stop()`: agents stop, last commit, then each component's `stop()`.
 */
import type { Logger } from '../logging.js';
import type { ConsumerRecord, ProducerRecord, RecordHeaders, TopicPartition, TopicPartitionOffset, Transport, TopicSpec } from '../transport/types.js';
import type { Clock } from './clock.js';

/** Where the event a handler is processing came from. */
export interface EventContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Event time in ms (the record's timestamp). */
  readonly timestamp: number;
  readonly headers: RecordHeaders;
  /** The raw record (key and value bytes as on the wire); absent for channel events. */
  readonly record: ConsumerRecord | undefined;
  /**
   * True when the handler holds a `take()` batch of events from more than one partition: this
   * context is then the batch's last event's, and state kept per partition (tables) cannot tell
   * which partition a write or read belongs to.
   */
  readonly spansPartitions?: boolean;
}

/** A component with a life inside the worker (a table, a cache, ...). Every hook is optional. */
export interface AppComponent {
  /** A name for logs and errors, e.g. `table:page-counts`. */
  readonly name: string;
  /** Topics the component needs (a changelog topic); created with the app's own topics. */
  topics?(): readonly TopicSpec[];
  /** After the transport connected and topics exist, before the consumer joins the group. */
  start?(): Promise<void>;
  /**
   * Partitions of the app's SOURCE topics newly assigned to this worker (all subscribed topics,
   * not only the component's). Awaited before any agent processes those partitions. Recover
   * state (e.g. read the changelog partition with `transport.readPartition`) here.
   */
  onPartitionsAssigned?(partitions: readonly TopicPartition[]): Promise<void>;
  /** Partitions taken away; in-flight events of them are finished and committed already. */
  onPartitionsRevoked?(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Awaited before offsets are committed: flush table writes and send changelog records here.
   * The runtime flushes the producer again after every `beforeCommit` resolved, so records sent
   * with `internals.send` in this hook are durable before the offsets are committed.
   * `offsets`: the next offset to read of every partition with processed events, taken BEFORE
   * this hook is called; the runtime commits exactly these (an event at or past its partition's
   * offset is still in progress, and its writes belong to a later commit).
   */
  beforeCommit?(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** After agents stopped and the last commit; release files and handles. */
  stop?(): Promise<void>;
}

export interface AppInternals {
  /** The app id (also the consumer group id and the prefix of internal topics). */
  readonly id: string;
  /**
   * This app's own data directory: settings `dataDir`, else `$MEPHISTO_DATA_DIR/<app id>`, else
   * `.mephisto/<app id>`. Created on start when a component is registered.
   */
  readonly dataDir: string;
  /** The store URL (settings `store`, env `MEPHISTO_STORE`): `memory://` (default) or `level://`. */
  readonly storeUrl: string;
  /** Where the tables' HTTP view listens (settings `webPort`/`webHost`, env `MEPHISTO_WEB_*`); undefined: none. */
  readonly web?: { readonly port: number; readonly host: string };
  /** The app's logger; components log through it. */
  readonly logger: Logger;
  /** Wall clock in production; a simulated clock under the test driver. Use it for time. */
  readonly clock: Clock;
  /** The transport, after `app.start()` (throws before). For `readPartition` and `admin()`. */
  readonly transport: Transport;
  /** True between start and stop. */
  readonly running: boolean;
  /** Registers a component; only before `app.start()`. */
  registerComponent(component: AppComponent): void;
  readonly components: readonly AppComponent[];
  /**
   * The event the calling handler is processing: correct inside agent handlers at any point
   * (also with `concurrency > 1`, across awaits), `undefined` outside them. Cheap: one lookup.
   */
  currentEvent(): EventContext | undefined;
  /**
   * Queues a record on the app's producer (batched with everything else the app sends). The
   * promise resolves when the broker acknowledged it; callers that do not need to wait may
   * ignore it, since the runtime flushes before every commit.
   */
  send(topic: string, record: ProducerRecord): Promise<void>;
  /** Resolves when every record queued so far has been acknowledged. */
  flush(): Promise<void>;
  /** Partition count of a topic the app knows (declared or created); undefined if unknown. */
  partitionsOf(topic: string): number | undefined;
  /** Settings `processingGuarantee` is `exactly_once` (see ./exactly-once.ts). */
  readonly exactlyOnce?: boolean;
  /**
   * The producer a component writes its changelog with (records naming their partition). Under
   * exactly_once its records join the transaction of the source partition with the same number
   * (of topic `source` when given) and the offsets it reports are `-1`; otherwise it is a plain
   * producer of the transport. Optional: hosts without it (benchmarks) give a plain producer.
   */
  changelogProducer?(source: string | undefined): import('../transport/types.js').Producer;
}
