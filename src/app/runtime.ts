/**
 * The worker behind an App: the transport, the consumer and how its batches reach agent inputs,
 * commits, the send path, the error policy, request/reply, timers, and the component hooks.
 * `App` (./app.ts) is the public face of it; this module is internal.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { AppStateError, AskTimeoutError, ConfigError, TransportError } from '../errors.js';
import type { Logger } from '../logging.js';
import { defineTopic, type AnyTopicBinding, type TopicBinding } from '../serde/binding.js';
import type { Codec } from '../serde/codec.js';
import * as codecs from '../serde/codecs.js';
import { plainWireFormat, type WireCodec, type WireFormat, type WireUse } from '../serde/wire.js';
import type { SchemaRegistry } from '../registry/types.js';
import { openTransport } from '../transport/index.js';
import type { RecordBuffer } from '../transport/record-buffer.js';
import type {
  Consumer,
  ConsumerRecord,
  Producer,
  ProducerRecord,
  RecordBatch,
  RecordHeaders,
  TopicPartition,
  TopicSpec,
  Transport,
} from '../transport/types.js';
import { Agent, AgentInstance, AgentSubscription, CORRELATION_ID, REPLY_TO, type AskOptions } from './agent.js';
import type { Clock } from './clock.js';
import type { AppComponent, AppInternals, EventContext } from './hooks.js';
import { Input, isChannelMessage, type InputItem } from './input.js';
import { Sender } from './sender.js';
import type { ResolvedSettings } from './settings.js';
import { Channel, Topic, type Sink } from './topic.js';
import { ExactlyOnce } from './exactly-once.js';
import { PartitionTracker } from './tracker.js';

export type AppState = 'defining' | 'starting' | 'running' | 'stopping' | 'stopped';

/** What agents and their instances need from the runtime. */
export interface AgentRuntime {
  readonly id: string;
  readonly settings: ResolvedSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly agentCount: number;
  readonly observeYield: ((agent: Agent<any, any, any>, value: unknown) => void) | undefined;
  runInContext<T>(instance: AgentInstance, fn: () => T): T;
  replyIfAsked(agent: Agent<any, any, any>, item: InputItem, value: unknown): void;
  sendToSink(sink: Sink<unknown, unknown>, key: unknown, value: unknown, headers: RecordHeaders | undefined): Promise<void> | undefined;
  crash(error: Error): void;
  deadLetterOrSkip(agent: Agent<any, any, any>, item: InputItem, source: string, failure: Error, cause: unknown): void;
  repartitionTopic(instance: AgentInstance, name: string, key: Codec<unknown> | undefined, value: Codec<unknown>, source: string, partitions: number | undefined): { topic: Topic<unknown, unknown>; input: Input };
  throughTopic(instance: AgentInstance, topic: Topic<unknown, unknown>): Input;
  valueCodecOf(topic: string): Codec<unknown> | undefined;
  ask(agent: Agent<any, any, any>, value: unknown, options: AskOptions<unknown>): Promise<unknown>;
}

/** Structured clone (node:v8) for ask replies when no codec is known; class instances come back as plain objects. */
const structuredCodec: Codec<unknown> = Object.freeze({
  name: 'structured-clone',
  encode: (value: unknown) => serialize(value),
  decode: (buffer: Buffer) => deserialize(buffer) as unknown,
});

const headerText = (value: Buffer | string | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : value.toString('utf8');

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

interface PendingAsk {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly codec: Codec<unknown>;
  readonly cancel: () => void;
}

interface Timer {
  readonly name: string;
  readonly next: (now: number) => number;
  readonly fn: () => unknown;
}

export class Runtime implements AgentRuntime, AppInternals {
  readonly id: string;
  #settings: ResolvedSettings;
  /** Sees every value an agent yields (the test driver records them); unset otherwise. */
  observeYield: ((agent: Agent<any, any, any>, value: unknown) => void) | undefined;
  readonly topics = new Map<string, Topic<any, any>>();
  readonly channels = new Map<string, Channel<any>>();
  readonly agents: Agent<any, any, any>[] = [];
  readonly #components: AppComponent[] = [];
  readonly #timers: Timer[] = [];
  readonly #tasks: (() => unknown)[] = [];
  readonly #subscriptions = new Map<string, AgentSubscription[]>();
  readonly #trackers = new Map<string, PartitionTracker>();
  readonly #partitions = new Map<string, number>();
  readonly #cancels: (() => void)[] = [];
  readonly #pendingAsks = new Map<string, PendingAsk>();
  #state: AppState = 'defining';
  #transport: Transport | undefined;
  #ownsTransport = false;
  #producer: Producer | undefined;
  #sender: Sender | undefined;
  #consumer: Consumer | undefined;
  /** Transactions per source partition, under `processingGuarantee: 'exactly_once'`. */
  #eos: ExactlyOnce | undefined;
  #wire: WireFormat = plainWireFormat;
  #registry: SchemaRegistry | undefined;
  #als: AsyncLocalStorage<AgentInstance> | undefined;
  #commitChain: Promise<void> = Promise.resolve();
  #replies: Promise<string> | undefined;
  #replyConsumer: Consumer | undefined;
  #stopping: Promise<void> | undefined;
  #crashError: Error | undefined;
  #stoppedResolve!: () => void;
  readonly stopped: Promise<void>;

  constructor(id: string, settings: ResolvedSettings) {
    this.id = id;
    this.#settings = settings;
    this.stopped = new Promise((resolve) => {
      this.#stoppedResolve = resolve;
    });
  }

  get settings(): ResolvedSettings {
    return this.#settings;
  }

  get logger(): Logger {
    return this.#settings.logger;
  }

  get clock(): Clock {
    return this.#settings.clock;
  }

  /** Replaces settings before start (the test driver: private broker, simulated clock, quiet logger). */
  overrideSettings(overrides: Partial<ResolvedSettings>): void {
    this.assertDefining('settings');
    this.#settings = { ...this.#settings, ...overrides };
  }

  get state(): AppState {
    return this.#state;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  get agentCount(): number {
    return this.agents.length;
  }

  get dataDir(): string {
    return this.settings.dataDir;
  }

  get storeUrl(): string {
    return this.settings.store;
  }

  get web(): { readonly port: number; readonly host: string } | undefined {
    return this.settings.web;
  }

  get transport(): Transport {
    if (this.#transport === undefined) throw new AppStateError(this.id, 'the transport exists only after app.start()');
    return this.#transport;
  }

  /** The crash error, when the app stopped because of one. */
  get crashError(): Error | undefined {
    return this.#crashError;
  }

  assertDefining(what: string): void {
    if (this.#state !== 'defining') throw new AppStateError(this.id, `${what} must be defined before app.start()`);
  }

  // -------------------------------------------------------------------------------------------
  // Definition

  topic<TKey, TValue>(binding: TopicBinding<TKey, TValue>): Topic<TKey, TValue> {
    const existing = this.topics.get(binding.name);
    if (existing !== undefined) {
      if (existing.binding.key !== binding.key || existing.binding.value !== binding.value) {
        if (existing.binding.key.name !== binding.key.name || existing.binding.value.name !== binding.value.name) {
          throw new ConfigError(`topic ${binding.name}`, `declared twice with different types (${existing.binding.value.name} and ${binding.value.name})`);
        }
      }
      return existing as Topic<TKey, TValue>;
    }
    const topic = new Topic(binding, this);
    this.topics.set(binding.name, topic);
    if (this.#state !== 'defining' && this.#state !== 'stopped') {
      // early, so that its first send need not wait; a failure here is the first send's to report
      // (prepare is tried again then), not an unhandled rejection
      topic.prepare().catch((error: unknown) => this.logger.warn(`Preparing topic ${topic.name} failed; its first send tries again`, { error }));
    }
    return topic;
  }

  channel<T>(name = `${this.id}-channel-${this.channels.size}`): Channel<T> {
    const channel = new Channel<T>(name, (n) => this.logger.warn(`Channel ${n} has no agent reading it; values sent to it are dropped`));
    this.channels.set(name, channel);
    return channel;
  }

  addAgent(agent: Agent<any, any, any>): void {
    this.assertDefining(`agent ${agent.name}`);
    if (this.agents.some((a) => a.name === agent.name)) throw new ConfigError(`agent ${agent.name}`, 'another agent has this name; pass options.name');
    this.agents.push(agent);
  }

  addTimer(timer: Timer): void {
    this.assertDefining(`timer ${timer.name}`);
    this.#timers.push(timer);
  }

  addTask(fn: () => unknown): void {
    this.assertDefining('a task');
    this.#tasks.push(fn);
  }

  registerComponent(component: AppComponent): void {
    this.assertDefining(`component ${component.name}`);
    this.#components.push(component);
    // Components (tables) need the event context across awaits: keep it per handler instance.
    this.#als ??= new AsyncLocalStorage();
  }

  get components(): readonly AppComponent[] {
    return this.#components;
  }

  // -------------------------------------------------------------------------------------------
  // Start

  async start(): Promise<void> {
    if (this.#state !== 'defining') throw new AppStateError(this.id, `cannot start: the app is ${this.#state}`);
    this.#state = 'starting';
    try {
      await this.#start();
    } catch (error) {
      this.#state = 'running';
      await this.stop().catch(() => {});
      throw error;
    }
    this.#state = 'running';
  }

  async #start(): Promise<void> {
    const { broker, registry } = this.settings;
    if (typeof broker === 'string') {
      this.#transport = await openTransport(broker, { clientId: this.id, logger: this.logger });
      this.#ownsTransport = true;
    } else {
      this.#transport = broker;
    }
    await this.#transport.connect();
    if (registry !== undefined) this.#wire = await this.#registryWireFormat(registry);
    if (this.#components.length > 0) mkdirSync(this.settings.dataDir, { recursive: true });
    this.#producer = this.#transport.producer();
    this.#sender = new Sender(this.#producer, this.logger, {
      onFailure: (error) =>
        this.crash(new TransportError('send', `a send to the broker failed, and its records are lost to this worker: ${error instanceof Error ? error.message : String(error)}; it stops without committing past them, and a restart reprocesses them`, {}, { cause: error })),
    });
    if (this.settings.processingGuarantee === 'exactly_once') {
      this.#eos = new ExactlyOnce(this.id, this.id, this.#transport, this.logger);
      // Sends are attributed to the event being handled: keep the context across awaits.
      this.#als ??= new AsyncLocalStorage();
    }

    // Agent instances first: running a handler up to its first await registers the topics its
    // stream operators need (groupBy, through) before the consumer subscribes.
    for (const agent of this.agents) {
      const source = agent.source;
      if (source instanceof Topic) {
        const subscription = this.#subscription(agent, source.name);
        agent.instances = subscription.inputs.map((input, i) => new AgentInstance(agent, i, this, input));
      } else {
        const inputs = Array.from({ length: agent.concurrency }, () => new Input(source.name, agent.bufferSize, undefined));
        source.subscribe(inputs);
        agent.instances = inputs.map((input, i) => new AgentInstance(agent, i, this, input));
      }
    }
    for (const agent of this.agents) for (const instance of agent.instances) void instance.start();

    await this.#createTopics();
    // Topics the app writes to (agents' sink topics, topics no agent reads) are prepared to write
    // at start, so that a schema the registry refuses stops the start; topics only read register
    // nothing (a consumer must not change the registry). A send to a read topic prepares it then.
    const written = this.#writtenTopics();
    await Promise.all([...this.topics.values()].map((topic) => (written.has(topic) ? topic.prepare() : topic.prepareToRead())));
    for (const [name, subscriptions] of this.#subscriptions) {
      const wire = this.topics.get(name)!.wire!;
      for (const s of subscriptions) for (const input of s.inputs) input.codecs = wire;
    }
    for (const component of this.#components) await component.start?.();

    if (this.#subscriptions.size > 0) {
      const consumer = this.#transport.consumer({ groupId: this.id, maxBatchSize: this.settings.maxBatchSize });
      this.#consumer = consumer;
      await consumer.subscribe([...this.#subscriptions.keys()]);
      await consumer.run({
        onAssigned: (partitions) => this.#onAssigned(partitions),
        onRevoked: (partitions) => this.#onRevoked(partitions),
        onBatch: (batch) => this.#onBatch(batch),
        onError: (error) => this.crash(error),
      });
    }

    const commitTick = () => {
      if (this.#state !== 'running' && this.#state !== 'starting') return;
      this.commit().catch((error: unknown) => this.logger.error('Commit failed; will retry', { error }));
      this.#cancels.push(this.clock.schedule(this.settings.commitInterval, commitTick));
    };
    this.#cancels.push(this.clock.schedule(this.settings.commitInterval, commitTick));
    for (const timer of this.#timers) this.#schedule(timer);
    for (const task of this.#tasks) {
      void Promise.resolve()
        .then(task)
        .catch((error: unknown) => this.logger.error('Task failed', { error }));
    }
  }

  async #registryWireFormat(registry: string | SchemaRegistry): Promise<WireFormat> {
    // Loaded only when a registry is configured, so an app without one never loads its client.
    const { openRegistry, registryWireFormat } = await import('../registry/index.js');
    let instance: SchemaRegistry;
    if (typeof registry === 'string') {
      instance = await openRegistry(registry, this.settings.registryAuth);
      // Embedded registries are shared by name in the process: only close what is ours alone.
      if (!registry.startsWith('memory://')) this.#registry = instance;
    } else {
      instance = registry;
    }
    return registryWireFormat(instance, this.settings.registryOptions);
  }

  #topicSpec(topic: Topic<any, any>): TopicSpec {
    const b: AnyTopicBinding = topic.binding;
    return {
      topic: b.name,
      partitions: b.partitions ?? this.settings.topicPartitions,
      ...(b.replicationFactor === undefined ? {} : { replicationFactor: b.replicationFactor }),
      ...(b.config === undefined ? {} : { config: b.config }),
    };
  }

  async #createTopics(): Promise<void> {
    const specs = [...this.topics.values()].map((t) => this.#topicSpec(t));
    for (const agent of this.agents) {
      if (agent.policy === 'dead-letter' && !this.topics.has(agent.deadLetterTopic)) {
        specs.push({ topic: agent.deadLetterTopic, partitions: 1 });
      }
    }
    for (const component of this.#components) specs.push(...(component.topics?.() ?? []));
    await this.transport.admin().createTopics(specs);
    const described = await this.transport.admin().describeTopics(specs.map((s) => s.topic));
    for (const d of described) this.#partitions.set(d.topic, d.partitions);
  }

  partitionsOf(topic: string): number | undefined {
    return this.#partitions.get(topic);
  }

  #schedule(timer: Timer): void {
    const now = this.clock.now();
    const delay = Math.max(0, timer.next(now) - now);
    this.#cancels.push(
      this.clock.schedule(delay, () => {
        if (this.#state !== 'running') return;
        Promise.resolve()
          .then(timer.fn)
          .catch((error: unknown) => this.logger.error(`Timer ${timer.name} failed`, { error }))
          .finally(() => {
            if (this.#state === 'running') this.#schedule(timer);
          });
      }),
    );
  }

  /** Topics known at start to be written: agents' sinks (and sink agents' topics), and those no agent reads. */
  #writtenTopics(): Set<Topic<unknown, unknown>> {
    const written = new Set<Topic<unknown, unknown>>();
    for (const topic of this.topics.values()) if (!this.#subscriptions.has(topic.name)) written.add(topic);
    for (const agent of this.agents) {
      for (const sink of agent.sinks) {
        if (sink instanceof Topic) written.add(sink);
        else if (typeof sink === 'object' && (sink as { kind?: unknown }).kind === 'agent') {
          const source = (sink as Agent<any, any, any>).source;
          if (source instanceof Topic) written.add(source);
        }
      }
    }
    return written;
  }

  #subscription(agent: Agent<any, any, any>, topic: string): AgentSubscription {
    let list = this.#subscriptions.get(topic);
    if (list === undefined) this.#subscriptions.set(topic, (list = []));
    let subscription = list.find((s) => s.agent === agent);
    if (subscription === undefined) {
      const wire = this.topics.get(topic)?.wire;
      subscription = new AgentSubscription(agent, topic, () => new Input(topic, agent.bufferSize, wire));
      list.push(subscription);
    }
    return subscription;
  }

  // -------------------------------------------------------------------------------------------
  // Consuming

  async #onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    for (const { topic, partition } of partitions) {
      const key = tpKey(topic, partition);
      if (!this.#trackers.has(key)) this.#trackers.set(key, new PartitionTracker(topic, partition));
    }
    await this.#eos?.assign(partitions);
    for (const component of this.#components) await component.onPartitionsAssigned?.(partitions);
    this.logger.debug('Partitions assigned', { partitions: partitions.map((p) => `${p.topic}[${p.partition}]`).join(',') });
  }

  /**
   * Takes back the records of these partitions that are queued for agents but not handed to a
   * handler yet: they are not committed, and whoever owns the partition next reads them again.
   */
  #discardQueued(trackers: readonly PartitionTracker[]): void {
    for (const tracker of trackers) {
      let lowest: number | undefined;
      for (const subscription of this.#subscriptions.get(tracker.topic) ?? []) {
        for (const input of subscription.inputs) {
          const seq = input.discard(tracker);
          if (seq !== undefined && (lowest === undefined || seq < lowest)) lowest = seq;
        }
      }
      if (lowest !== undefined) tracker.discardFrom(lowest);
    }
  }

  async #onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    const trackers: PartitionTracker[] = [];
    for (const { topic, partition } of partitions) {
      const tracker = this.#trackers.get(tpKey(topic, partition));
      if (tracker !== undefined) trackers.push(tracker);
    }
    this.#discardQueued(trackers);
    // After a crash the failed event is never acknowledged: do not wait for it.
    const idle = this.#crashError === undefined ? Promise.all(trackers.map((t) => t.idle())) : Promise.resolve([]);
    let timedOut = false;
    await Promise.race([
      idle,
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, this.settings.shutdownTimeout);
        timer.unref?.();
        void idle.then(() => clearTimeout(timer));
      }),
    ]);
    if (timedOut) {
      this.logger.warn(`Events still in flight after ${this.settings.shutdownTimeout} ms; committing what is done`, {
        inFlight: trackers.reduce((n, t) => n + t.inFlight, 0),
      });
    }
    await this.commit().catch((error: unknown) => this.logger.error('Commit on revocation failed', { error }));
    for (const component of this.#components) await component.onPartitionsRevoked?.(partitions);
    await this.#eos?.revoke(partitions);
    for (const tracker of trackers) this.#trackers.delete(tpKey(tracker.topic, tracker.partition));
  }

  #onBatch(batch: RecordBatch): Promise<void> | void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return; // not tracked: not committed
    const subscriptions = this.#subscriptions.get(batch.topic);
    const tracker = this.#trackers.get(tpKey(batch.topic, batch.partition));
    if (subscriptions === undefined || tracker === undefined) return;
    return this.#deliver(batch, 0, subscriptions, tracker);
  }

  /** Routes records to agent inputs; when one is full, pauses the partition until it has room. */
  #deliver(batch: RecordBatch, from: number, subscriptions: readonly AgentSubscription[], tracker: PartitionTracker): Promise<void> | void {
    const records = batch.records;
    const n = subscriptions.length;
    if (n === 1 && subscriptions[0]!.inputs.length === 1) {
      // one agent, one instance: the common case, without routing
      const input = subscriptions[0]!.inputs[0]!;
      // Offsets of a batch increase strictly; when first and last are len - 1 apart there is no
      // gap, and every offset is known without parsing each record's offset string.
      const last = records.length - 1;
      const base = last < 0 ? 0 : Number(records[0]!.offset);
      const consecutive = last >= 0 && Number(records[last]!.offset) === base + last;
      for (let i = from; i < records.length; i++) {
        if (input.full && !input.closed) return this.#waitForSpace(batch, i, subscriptions, tracker, input);
        const record = records[i]!;
        input.push(record, tracker, tracker.push(consecutive ? base + i : Number(record.offset), 1));
      }
      return;
    }
    for (let i = from; i < records.length; i++) {
      const record = records[i]!;
      for (let s = 0; s < n; s++) {
        const input = subscriptions[s]!.route(record);
        if (input.full && !input.closed) return this.#waitForSpace(batch, i, subscriptions, tracker, input);
      }
      const seq = tracker.push(Number(record.offset), n);
      for (let s = 0; s < n; s++) subscriptions[s]!.route(record).push(record, tracker, seq);
    }
  }

  /** Pauses the partition until `input` has room, then delivers the rest of the batch. */
  #waitForSpace(batch: RecordBatch, from: number, subscriptions: readonly AgentSubscription[], tracker: PartitionTracker, input: Input): Promise<void> {
    const tp = [{ topic: batch.topic, partition: batch.partition }];
    this.#consumer?.pause(tp);
    return input.whenSpace().then(() => {
      this.#consumer?.resume(tp);
      if (this.#state === 'stopping' || this.#state === 'stopped') return;
      return this.#deliver(batch, from, subscriptions, tracker);
    });
  }

  /**
   * Commits every partition's processed prefix: flushes sends, lets components flush
   * (`beforeCommit`), flushes again, then commits. Serialized; safe to call at any time.
   */
  commit(): Promise<void> {
    const run = async () => {
      const sender = this.#sender;
      const consumer = this.#consumer;
      if (sender === undefined) return;
      await sender.flush();
      // The offsets are taken BEFORE the components flush, and exactly these are committed: events
      // that finish while a component awaits its changelog sends are left for the next commit, so
      // a table's changelog always covers what the committed offsets claim (tables, issue 5).
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      const positions: { topic: string; partition: number; offset: string }[] = [];
      const trackers: [PartitionTracker, number][] = [];
      for (const tracker of this.#trackers.values()) {
        const offset = tracker.committable;
        if (offset >= 0) positions.push({ topic: tracker.topic, partition: tracker.partition, offset: String(offset) });
        if (offset > tracker.committed) {
          offsets.push({ topic: tracker.topic, partition: tracker.partition, offset: String(offset) });
          trackers.push([tracker, offset]);
        }
      }
      for (const component of this.#components) await component.beforeCommit?.(positions);
      await sender.flush();
      if (this.#eos !== undefined) {
        // Sends, changelog records and offsets of each partition in one transaction (./exactly-once.ts).
        await this.#eos.commit(positions).catch((error: unknown) => {
          this.crash(error as Error);
          throw error;
        });
        for (const [tracker, offset] of trackers) tracker.committed = Math.max(tracker.committed, offset);
        return;
      }
      if (consumer === undefined) return;
      if (offsets.length === 0) return;
      // refused (a rebalance): not counted, so the next commit sends these offsets again
      if (!(await consumer.commit(offsets))) return;
      for (const [tracker, offset] of trackers) tracker.committed = Math.max(tracker.committed, offset);
    };
    const next = this.#commitChain.then(run);
    this.#commitChain = next.catch(() => {});
    return next;
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  prepare<T>(topic: string, part: 'key' | 'value', codec: Codec<unknown>, use: WireUse): Promise<WireCodec<T>> {
    if (this.#state === 'defining') {
      // the wire format (plain or registry) is known only once the app starts
      return Promise.reject(new AppStateError(this.id, `cannot send to ${topic}: the app is not started (call app.start() or use the test driver)`));
    }
    return this.#wire.prepare(topic, part, codec as Codec<T>, use);
  }

  enqueue(topic: string, record: ProducerRecord): Promise<void> {
    if (this.#eos !== undefined) {
      const event = this.currentEvent();
      if (event?.record !== undefined) {
        this.#eos.hold(event, Number(event.offset), topic, record);
        return Promise.resolve();
      }
    }
    const sender = this.#sender;
    if (sender === undefined) {
      return Promise.reject(new AppStateError(this.id, `cannot send to ${topic}: the app is not started (call app.start() or use the test driver)`));
    }
    return sender.enqueue(topic, record);
  }

  startRecord(topic: string): RecordBuffer | undefined {
    // exactly-once: records sent while an event is processed are held with that event
    if (this.#eos !== undefined && this.currentEvent()?.record !== undefined) return undefined;
    return this.#sender?.startRecord(topic);
  }

  recordWritten(): Promise<void> {
    return this.#sender!.recordWritten();
  }

  recordDropped(): void {
    this.#sender!.recordDropped();
  }

  get appId(): string {
    return this.id;
  }

  /** Sends queued and not yet handed to the producer. */
  get pendingSends(): number {
    return this.#sender?.queued ?? 0;
  }

  send(topic: string, record: ProducerRecord): Promise<void> {
    return this.enqueue(topic, record);
  }

  flush(): Promise<void> {
    return this.#sender?.flush() ?? Promise.resolve();
  }

  get exactlyOnce(): boolean {
    return this.settings.processingGuarantee === 'exactly_once';
  }

  changelogProducer(source: string | undefined): Producer {
    return this.#eos?.changelogProducer(source) ?? this.transport.producer();
  }

  sendToSink(sink: Sink<unknown, unknown>, key: unknown, value: unknown, headers: RecordHeaders | undefined): Promise<void> | undefined {
    if (typeof sink === 'function') {
      const result = sink(value);
      return result === undefined ? undefined : (result as Promise<void>);
    }
    if (sink instanceof Topic) {
      if (!sink.prepared) return sink.send({ key, value, headers });
      void sink.write(key, value, headers);
      // Back-pressure from the broker: past two unacknowledged batches the yield waits.
      return this.#sender?.whenRoom();
    }
    if (sink instanceof Channel) return sink.send({ key: null, value, headers });
    const target = (sink as Agent<any, any, any>).source;
    if (target instanceof Topic && target.prepared) {
      void target.write(key, value, headers);
      return this.#sender?.whenRoom();
    }
    return sink.send({ key, value, headers });
  }

  // -------------------------------------------------------------------------------------------
  // Errors

  deadLetterOrSkip(agent: Agent<any, any, any>, item: InputItem, source: string, failure: Error, cause: unknown): void {
    const where = isChannelMessage(item) ? { source } : { topic: item.topic, partition: item.partition, offset: item.offset };
    if (agent.policy === 'skip') {
      this.logger.warn(`Agent ${agent.name} skipped an event: ${failure.message}`, where);
      return;
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    const errorHeaders: Record<string, string> = {
      'mephisto-error': reason,
      'mephisto-error-type': failure.name,
      'mephisto-agent': agent.name,
    };
    let record: ProducerRecord;
    if (isChannelMessage(item)) {
      let value: Buffer;
      try {
        value = Buffer.from(JSON.stringify(item.value) ?? 'null', 'utf8');
      } catch {
        value = Buffer.from(String(item.value), 'utf8');
      }
      record = { key: null, value, headers: { ...item.headers, ...errorHeaders, 'mephisto-source-channel': source } };
    } else {
      record = {
        key: item.key,
        value: item.value,
        headers: {
          ...item.headers,
          ...errorHeaders,
          'mephisto-source-topic': item.topic,
          'mephisto-source-partition': String(item.partition),
          'mephisto-source-offset': item.offset,
        },
      };
    }
    this.logger.warn(`Agent ${agent.name} sent an event to dead-letter topic ${agent.deadLetterTopic}: ${failure.message}`, where);
    void this.enqueue(agent.deadLetterTopic, record);
  }

  crash(error: Error): void {
    if (this.#crashError !== undefined || this.#state === 'stopped') return;
    this.#crashError = error;
    this.logger.error(`Worker stops: ${error.message}`, { error: error.name });
    void this.stop();
  }

  // -------------------------------------------------------------------------------------------
  // Streams that read internal topics

  repartitionTopic(instance: AgentInstance, name: string, key: Codec<unknown> | undefined, value: Codec<unknown>, source: string, partitions: number | undefined): { topic: Topic<unknown, unknown>; input: Input } {
    const topicName = `${this.id}-${instance.agent.name}-${name}-repartition`;
    const topic = (this.topics.get(topicName) as Topic<unknown, unknown> | undefined) ??
      this.topic(defineTopic<unknown, unknown>({ name: topicName, key: (key ?? codecs.string) as Codec<unknown>, value, partitions: partitions ?? this.#partitionsLike(source) }));
    return { topic, input: this.#readBack(instance, topic) };
  }

  /**
   * The partition count of a topic this app reads: as found on the broker once started, else as
   * it will be created. A repartition topic gets its source's count by default, so that a table
   * fed by the grouped stream has as many partitions as the source (and as its changelog).
   */
  #partitionsLike(source: string): number {
    const known = this.#partitions.get(source);
    if (known !== undefined) return known;
    const topic = this.topics.get(source);
    return topic === undefined ? this.settings.topicPartitions : this.#topicSpec(topic).partitions;
  }

  throughTopic(instance: AgentInstance, topic: Topic<unknown, unknown>): Input {
    if (!this.topics.has(topic.name)) this.topics.set(topic.name, topic);
    return this.#readBack(instance, topic);
  }

  #readBack(instance: AgentInstance, topic: Topic<unknown, unknown>): Input {
    const known = this.#subscriptions.has(topic.name);
    const subscription = this.#subscription(instance.agent, topic.name);
    const input = subscription.inputs[instance.index]!;
    instance.inputs.set(topic.name, input);
    if (!known && this.#state === 'running') {
      // A stream operator called after start: create, prepare and subscribe now (a rebalance).
      void (async () => {
        await this.transport.admin().createTopics([this.#topicSpec(topic)]);
        await topic.prepareToRead();
        for (const i of subscription.inputs) i.codecs = topic.wire;
        await this.#consumer?.subscribe([topic.name]);
      })().catch((error: unknown) => this.crash(error instanceof Error ? error : new TransportError('subscribe', String(error), { topic: topic.name })));
    }
    return input;
  }

  valueCodecOf(topic: string): Codec<unknown> | undefined {
    return this.topics.get(topic)?.binding.value as Codec<unknown> | undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Request/reply

  #replyCodec(agent: Agent<any, any, any>): Codec<unknown> {
    if (agent.options.replyCodec !== undefined) return agent.options.replyCodec as Codec<unknown>;
    for (const sink of agent.sinks) if (sink instanceof Topic) return sink.binding.value as Codec<unknown>;
    return structuredCodec;
  }

  replyIfAsked(agent: Agent<any, any, any>, item: InputItem, value: unknown): void {
    if (isChannelMessage(item)) {
      item.reply?.(value);
      return;
    }
    const replyTo = headerText(item.headers[REPLY_TO]);
    if (replyTo === undefined) return;
    const correlationId = headerText(item.headers[CORRELATION_ID]) ?? '';
    const bytes = this.#replyCodec(agent).encode(value);
    void this.enqueue(replyTo, { key: null, value: bytes, headers: { [CORRELATION_ID]: correlationId } });
  }

  #startReplies(): Promise<string> {
    this.#replies ??= (async () => {
      const topic = `${this.id}-replies-${randomUUID().slice(0, 8)}`;
      await this.transport.admin().createTopics([{ topic, partitions: 1 }]);
      const consumer = this.transport.consumer({ groupId: topic, fromBeginning: true });
      this.#replyConsumer = consumer;
      await consumer.subscribe([topic]);
      await consumer.run({
        onAssigned: async () => {},
        onRevoked: async () => {},
        onBatch: (batch) => this.#onReplies(batch.records),
        onError: (error) => this.logger.error('Reply consumer failed', { error }),
      });
      return topic;
    })();
    return this.#replies;
  }

  #onReplies(records: readonly ConsumerRecord[]): void {
    for (const record of records) {
      const id = headerText(record.headers[CORRELATION_ID]);
      const pending = id === undefined ? undefined : this.#pendingAsks.get(id);
      if (pending === undefined) continue;
      this.#pendingAsks.delete(id!);
      pending.cancel();
      try {
        pending.resolve(record.value === null ? null : pending.codec.decode(record.value));
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  async ask(agent: Agent<any, any, any>, value: unknown, options: AskOptions<unknown>): Promise<unknown> {
    if (this.#state !== 'running') throw new AppStateError(this.id, `cannot ask agent ${agent.name}: the app is ${this.#state}`);
    const timeout = options.timeout ?? 30_000;
    const correlationId = randomUUID();
    const source = agent.source;
    if (source instanceof Channel) {
      return new Promise((resolve, reject) => {
        let answered = false;
        const cancel = this.clock.schedule(timeout, () => {
          if (!answered) reject(new AskTimeoutError(agent.name, timeout, correlationId));
          answered = true;
        });
        source
          .deliver({ key: options.key ?? null, value, headers: options.headers ?? {} }, (reply) => {
            if (answered) return;
            answered = true;
            cancel();
            resolve(reply);
          })
          .catch(reject);
      });
    }
    const replyTopic = await this.#startReplies();
    const reply = new Promise<unknown>((resolve, reject) => {
      const cancel = this.clock.schedule(timeout, () => {
        if (this.#pendingAsks.delete(correlationId)) reject(new AskTimeoutError(agent.name, timeout, correlationId));
      });
      this.#pendingAsks.set(correlationId, { resolve, reject, codec: this.#replyCodec(agent), cancel });
    });
    const headers = { ...options.headers, [REPLY_TO]: replyTopic, [CORRELATION_ID]: correlationId };
    await (source as Topic<unknown, unknown>).send({ key: options.key ?? null, value, headers });
    return reply;
  }

  // -------------------------------------------------------------------------------------------
  // Event context

  runInContext<T>(instance: AgentInstance, fn: () => T): T {
    return this.#als === undefined ? fn() : this.#als.run(instance, fn);
  }

  currentEvent(): EventContext | undefined {
    if (this.#als !== undefined) return this.#als.getStore()?.context();
    // Without components the context is not tracked across awaits; it is exact for one instance.
    const instances = this.agents.flatMap((a) => a.instances);
    return instances.length === 1 ? instances[0]!.context() : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Stop

  /**
   * Graceful stop: stops consuming, lets in-flight events finish (up to `shutdownTimeout`),
   * commits, stops agents, flushes sends, stops components and closes the transport.
   */
  stop(): Promise<void> {
    if (this.#state === 'defining') {
      this.#state = 'stopped';
      this.#stoppedResolve();
      return Promise.resolve();
    }
    this.#stopping ??= this.#stop().finally(() => {
      this.#state = 'stopped';
      this.#stoppedResolve();
    });
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    for (const cancel of this.#cancels.splice(0)) cancel();
    // At once, before anything async: handlers get nothing new, only finish what they hold.
    this.#discardQueued([...this.#trackers.values()]);
    const errors: unknown[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
        this.logger.error(`Stop: ${what} failed`, { error });
      }
    };
    await attempt('consumer', () => this.#consumer?.stop());
    for (const agent of this.agents) for (const instance of agent.instances) instance.stop();
    await attempt('agents', () =>
      Promise.race([
        Promise.all(this.agents.flatMap((a) => a.instances.map((i) => i.done))),
        new Promise<void>((resolve) => setTimeout(resolve, this.settings.shutdownTimeout).unref()),
      ]),
    );
    await attempt('flush', () => this.#sender?.flush());
    for (const pending of this.#pendingAsks.values()) {
      pending.cancel();
      pending.reject(new AppStateError(this.id, 'the app stopped before the reply came'));
    }
    this.#pendingAsks.clear();
    await attempt('reply consumer', () => this.#replyConsumer?.stop());
    for (const component of this.#components) await attempt(`component ${component.name}`, () => component.stop?.());
    await attempt('exactly-once producers', () => this.#eos?.close());
    await attempt('producer', () => this.#producer?.close());
    await attempt('registry', () => this.#registry?.close());
    if (this.#ownsTransport) await attempt('transport', () => this.#transport?.close());
  }
}
