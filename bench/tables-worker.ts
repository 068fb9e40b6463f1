/**
 * The App's side of the table hooks, reduced to what the table benchmarks need: a current event,
 * commits, the memory transport. It keeps the runtime (agents, queues, the consumer) out of the
 * figures, so that they measure the table: cache, changelog and level store.
 */
import type { AppComponent, AppInternals, EventContext } from '../src/app/hooks.js';
import { systemClock } from '../src/app/clock.js';
import { silentLogger, type Logger } from '../src/logging.js';
import { MemoryTransport } from '../src/transport/memory/index.js';
import type { ProducerRecord, TopicPartition, TopicPartitionOffset } from '../src/transport/types.js';

export class BenchWorker implements AppInternals {
  readonly components: AppComponent[] = [];
  readonly clock = systemClock;
  readonly transport: MemoryTransport;
  running = false;
  /** Mutated in place per event: what the runtime's context lookup would hand back. */
  readonly event: { topic: string; partition: number; offset: string; timestamp: number; headers: {}; record: undefined } = {
    topic: '',
    partition: 0,
    offset: '0',
    timestamp: 0,
    headers: {},
    record: undefined,
  };
  private inEvent = false;
  /** Per topic, per partition: the next offset to commit. */
  private readonly next = new Map<string, number[]>();

  constructor(
    brokerUrl: string,
    readonly dataDir: string,
    readonly storeUrl: string,
    readonly id = 'bench',
    readonly logger: Logger = silentLogger,
  ) {
    this.transport = new MemoryTransport(brokerUrl);
  }

  registerComponent(component: AppComponent): void {
    this.components.push(component);
  }

  currentEvent(): EventContext | undefined {
    return this.inEvent ? this.event : undefined;
  }

  async send(topic: string, record: ProducerRecord): Promise<void> {
    await this.transport.producer().send(topic, [record]);
  }

  async flush(): Promise<void> {}

  partitionsOf(topic: string): number | undefined {
    return this.transport.broker.topics.has(topic) ? this.transport.broker.describe(topic).partitions : undefined;
  }

  async start(assignment: readonly TopicPartition[]): Promise<void> {
    await this.transport.connect();
    await this.transport.admin().createTopics(this.components.flatMap((c) => c.topics?.() ?? []));
    for (const c of this.components) await c.start?.();
    this.running = true;
    for (const c of this.components) await c.onPartitionsAssigned?.(assignment);
  }

  process(topic: string, partition: number, offset: number, handler: () => void): void {
    this.event.topic = topic;
    this.event.partition = partition;
    this.event.offset = String(offset);
    this.inEvent = true;
    handler();
    this.inEvent = false;
    let offsets = this.next.get(topic);
    if (offsets === undefined) this.next.set(topic, (offsets = []));
    offsets[partition] = offset + 1;
  }

  async commit(): Promise<void> {
    const offsets: TopicPartitionOffset[] = [];
    for (const [topic, next] of this.next) {
      next.forEach((offset, partition) => offsets.push({ topic, partition, offset: String(offset) }));
    }
    for (const c of this.components) await c.beforeCommit?.(offsets);
  }

  async stop(): Promise<void> {
    await this.commit();
    for (const c of this.components) await c.stop?.();
    this.running = false;
  }
}
