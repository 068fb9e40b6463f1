/**
 * A stand-in for the App's side of the hooks (src/app/hooks.ts), on the real memory transport:
 * it runs a table's lifecycle step by step (start, assignment, events, commits, crash) so that
 * the table's own guarantees can be tested at every point of the protocol, including the ones a
 * whole app cannot stop at on demand (a crash between the changelog send and the offset commit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppComponent, AppInternals, EventContext } from '../../src/app/hooks.js';
import { SimulatedClock } from '../../src/app/clock.js';
import { memoryLogger, type MemoryLogger } from '../../src/logging.js';
import { MemoryBroker, MemoryTransport } from '../../src/transport/memory/index.js';
import type { ProducerRecord, TopicPartition, TopicPartitionOffset } from '../../src/transport/types.js';

let brokers = 0;

export function freshBrokerUrl(): string {
  return `memory://tables-${process.pid}-${++brokers}`;
}

export function tempDir(prefix = 'mephisto-tables-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export class Worker implements AppInternals {
  readonly components: AppComponent[] = [];
  readonly logger: MemoryLogger = memoryLogger();
  readonly clock = new SimulatedClock(0);
  readonly transport: MemoryTransport;
  running = false;
  /** Offsets this worker committed, per `topic\0partition` (what the group would hold). */
  readonly committed = new Map<string, string>();
  private event: EventContext | undefined;
  private readonly processed = new Map<string, number>();

  constructor(
    readonly brokerUrl: string,
    readonly dataDir: string,
    readonly storeUrl: string,
    readonly id = 'clicks-app',
    private readonly partitionCounts: Record<string, number> = {},
  ) {
    this.transport = new MemoryTransport(brokerUrl);
  }

  registerComponent(component: AppComponent): void {
    this.components.push(component);
  }

  currentEvent(): EventContext | undefined {
    return this.event;
  }

  async send(topic: string, record: ProducerRecord): Promise<void> {
    await this.transport.producer().send(topic, [record]);
  }

  async flush(): Promise<void> {}

  partitionsOf(topic: string): number | undefined {
    return this.partitionCounts[topic] ?? (this.transport.broker.topics.has(topic) ? this.transport.broker.describe(topic).partitions : undefined);
  }

  async start(assignment: readonly TopicPartition[]): Promise<void> {
    await this.transport.connect();
    const specs = this.components.flatMap((c) => c.topics?.() ?? []);
    await this.transport.admin().createTopics(specs);
    for (const c of this.components) await c.start?.();
    this.running = true;
    for (const c of this.components) await c.onPartitionsAssigned?.(assignment);
  }

  /** Runs `handler` as the processing of one event (what an agent's handler would do). */
  process(record: { topic: string; partition: number; offset: string | number; timestamp?: number }, handler: () => void): void {
    this.event = {
      topic: record.topic,
      partition: record.partition,
      offset: String(record.offset),
      timestamp: record.timestamp ?? 0,
      headers: {},
      record: undefined,
    };
    try {
      handler();
    } finally {
      this.event = undefined;
    }
    this.processed.set(`${record.topic}\u0000${record.partition}`, Number(record.offset) + 1);
  }

  /** Offsets the runtime would commit now: one past the last processed event of each partition. */
  committable(): TopicPartitionOffset[] {
    return [...this.processed].map(([key, offset]) => {
      const [topic, partition] = key.split('\u0000') as [string, string];
      return { topic, partition: Number(partition), offset: String(offset) };
    });
  }

  /** The runtime's commit: every beforeCommit, then the offsets. */
  async commit(offsets: readonly TopicPartitionOffset[] = this.committable()): Promise<void> {
    await this.beforeCommit(offsets);
    for (const { topic, partition, offset } of offsets) this.committed.set(`${topic}\u0000${partition}`, offset);
  }

  /** Only the first half of a commit: a crash after it leaves the offsets uncommitted. */
  async beforeCommit(offsets: readonly TopicPartitionOffset[] = this.committable()): Promise<void> {
    for (const c of this.components) await c.beforeCommit?.(offsets);
  }

  async stop(): Promise<void> {
    await this.commit();
    for (const c of this.components) await c.stop?.();
    this.running = false;
  }

  /** A kill: nothing more is committed, sent or written; the broker keeps what it got. */
  async crash(): Promise<void> {
    for (const c of this.components) await (c as unknown as { abandon?: () => Promise<void> }).abandon?.();
    this.running = false;
  }
}

export function dropBroker(url: string): void {
  MemoryBroker.drop(url);
}
