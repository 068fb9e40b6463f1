/**
 * The test driver (`mephisto/testing`): runs an app on a private embedded broker with a simulated
 * clock, in the spirit of Kafka Streams' TopologyTestDriver and Faust's `agent.test_context()`.
 *
 * ```ts
 * const driver = await TestDriver.start(app);
 * await driver.send(clicks, { key: 'u1', value: new Click({ ... }) });
 * expect(await driver.records(pageViews)).toHaveLength(1);   // decoded, typed
 * expect(driver.yielded(counter)).toEqual([1]);              // what the agent yielded
 * await driver.advance(60_000);                              // timers, windows, take(within)
 * await driver.stop();
 * ```
 *
 * `send` and `advance` wait until the app is idle (every event processed, every send delivered),
 * so a test reads results right after them. It works for agents that never yield: read what they
 * sent, or inspect tables (`driver.component(name)`).
 */
import { randomUUID } from 'node:crypto';
import type { Agent } from '../app/agent.js';
import type { App } from '../app/app.js';
import { SimulatedClock } from '../app/clock.js';
import type { AppComponent } from '../app/hooks.js';
import type { Message, Topic } from '../app/topic.js';
import { memoryLogger, type MemoryLogger } from '../logging.js';
import type { RecordHeaders } from '../transport/types.js';
import { MemoryBroker } from '../transport/memory/index.js';
import { liveRecords } from '../transport/memory/compaction.js';

export interface TestDriverOptions {
  /** Simulated time at start, in ms since the epoch. Default 0. */
  readonly startTime?: number;
  /** Keep the app's own broker setting instead of a private `memory://` broker. */
  readonly keepBroker?: boolean;
}

/** A record read back from a topic, decoded with the topic's types. */
export interface TestRecord<TKey, TValue> {
  readonly key: TKey | null;
  readonly value: TValue;
  readonly headers: RecordHeaders;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
}

/** A dead-lettered event: its error headers and the original bytes. */
export interface DeadLetter {
  readonly error: string;
  readonly errorType: string;
  readonly sourceTopic: string | undefined;
  readonly sourcePartition: number | undefined;
  readonly sourceOffset: string | undefined;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

const text = (value: Buffer | string | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : value.toString('utf8');

export class TestDriver {
  readonly app: App;
  readonly clock: SimulatedClock;
  readonly broker: MemoryBroker;
  /** Everything the app logged (the driver keeps tests quiet). */
  readonly logger: MemoryLogger;
  readonly #yielded = new Map<Agent<any, any, any>, unknown[]>();

  private constructor(app: App, clock: SimulatedClock, broker: MemoryBroker, logger: MemoryLogger) {
    this.app = app;
    this.clock = clock;
    this.broker = broker;
    this.logger = logger;
  }

  /** Configures a defined (not started) app for testing and starts it. */
  static async start(app: App, options: TestDriverOptions = {}): Promise<TestDriver> {
    const runtime = app.runtime;
    const clock = new SimulatedClock(options.startTime ?? 0);
    const logger = memoryLogger();
    const url = `memory://test-driver-${randomUUID()}`;
    runtime.overrideSettings({
      clock,
      logger,
      ...(options.keepBroker === true ? {} : { broker: url }),
      // commits happen on `driver.commit()` and on stop, never behind the test's back
      commitInterval: 2 ** 31 - 1,
    });
    const brokerSetting = runtime.settings.broker;
    const broker =
      typeof brokerSetting === 'string' ? MemoryBroker.forUrl(brokerSetting) : (brokerSetting as { broker?: MemoryBroker }).broker;
    if (broker === undefined) throw new Error('TestDriver needs a memory:// broker');
    const driver = new TestDriver(app, clock, broker, logger);
    runtime.observeYield = (agent, value) => {
      let list = driver.#yielded.get(agent);
      if (list === undefined) driver.#yielded.set(agent, (list = []));
      list.push(value);
    };
    await app.start();
    await driver.settle();
    return driver;
  }

  /** Sends a typed message to a topic (or an agent's source), then waits until the app is idle. */
  async send<TKey, TValue>(target: Topic<TKey, TValue> | Agent<TValue, any, TKey>, message: Message<TKey, TValue>): Promise<void> {
    await target.send(message);
    await this.settle();
  }

  /** Sends several values (no key), then waits until the app is idle. */
  async sendValues<TKey, TValue>(target: Topic<TKey, TValue> | Agent<TValue, any, TKey>, values: readonly TValue[]): Promise<void> {
    for (const value of values) await target.send({ value });
    await this.settle();
  }

  /** Asks an agent and returns its reply (settling the app meanwhile). */
  async ask<TValue, TOut, TKey>(agent: Agent<TValue, TOut, TKey>, value: TValue, options: { key?: TKey } = {}): Promise<TOut> {
    const reply = agent.ask(value, options);
    await this.settle();
    return reply;
  }

  /** Every value an agent yielded so far, in order. */
  yielded<TOut>(agent: Agent<any, TOut, any>): TOut[] {
    return [...((this.#yielded.get(agent) as TOut[] | undefined) ?? [])];
  }

  /** Every record on a topic so far, decoded with the topic's types, by partition then offset. */
  async records<TKey, TValue>(topic: Topic<TKey, TValue>): Promise<TestRecord<TKey, TValue>[]> {
    await this.settle();
    await topic.prepareToRead();
    const wire = topic.wire!;
    const logs = this.broker.topics.get(topic.name)?.logs ?? [];
    const out: TestRecord<TKey, TValue>[] = [];
    for (const log of logs) {
      for (const r of liveRecords(log)) {
        out.push({
          key: r.key === null ? null : await wire.key.decode(r.key),
          value: (r.value === null ? null : await wire.value.decode(r.value)) as TValue,
          headers: r.headers,
          partition: r.partition,
          offset: r.offset,
          timestamp: r.timestamp,
        });
      }
    }
    return out;
  }

  /** The values on a topic so far. */
  async values<TValue>(topic: Topic<any, TValue>): Promise<TValue[]> {
    return (await this.records(topic)).map((r) => r.value);
  }

  /** Events an agent's error policy sent to its dead-letter topic. */
  deadLetters(agent: Agent<any, any, any>): DeadLetter[] {
    const logs = this.broker.topics.get(agent.deadLetterTopic)?.logs ?? [];
    return logs.flatMap((log) =>
      log.records.map((r) => {
        const partition = text(r.headers['mephisto-source-partition']);
        return {
          error: text(r.headers['mephisto-error']) ?? '',
          errorType: text(r.headers['mephisto-error-type']) ?? '',
          sourceTopic: text(r.headers['mephisto-source-topic']),
          sourcePartition: partition === undefined ? undefined : Number(partition),
          sourceOffset: text(r.headers['mephisto-source-offset']),
          key: r.key,
          value: r.value,
        };
      }),
    );
  }

  /** A registered component (a table) by name, for inspection. */
  component<TComponent extends AppComponent = AppComponent>(name: string): TComponent | undefined {
    return this.app.internals.components.find((c) => c.name === name) as TComponent | undefined;
  }

  /** Moves simulated time forward, firing timers, crontabs and `take(within)` deadlines in order. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms, () => this.settle());
    await this.settle();
  }

  /** Commits processed offsets now. */
  async commit(): Promise<void> {
    await this.settle();
    await this.app.commit();
  }

  /** Committed offset of the app's group for a topic partition (undefined if none). */
  committed(topic: Topic<any, any> | string, partition = 0): number | undefined {
    const name = typeof topic === 'string' ? topic : topic.name;
    return this.broker.groups.get(this.app.id)?.committedOffset(name, partition);
  }

  /**
   * Waits until the app is idle: no sends pending, nothing queued for an agent, and nothing new
   * on the broker for a few turns of the event loop. Not time-based.
   */
  async settle(): Promise<void> {
    const runtime = this.app.runtime;
    let quiet = 0;
    let last = '';
    for (let turn = 0; turn < 1_000_000; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      let logged = 0;
      for (const topic of this.broker.topics.values()) for (const log of topic.logs) logged += log.end;
      let queued = 0;
      let delivered = 0;
      for (const agent of runtime.agents) {
        for (const instance of agent.instances) {
          for (const input of instance.inputs.values()) {
            queued += input.length;
            delivered += input.deliveredTotal;
          }
        }
      }
      const fingerprint = `${logged}/${delivered}/${queued}/${runtime.pendingSends}`;
      if (fingerprint === last && queued === 0 && runtime.pendingSends === 0) {
        if (++quiet >= 3) return;
      } else {
        quiet = 0;
        last = fingerprint;
      }
    }
    throw new Error('TestDriver.settle: the app never became idle (an agent sending to itself forever?)');
  }

  /** Stops the app (gracefully) and forgets the private broker. */
  async stop(): Promise<void> {
    await this.app.stop();
    MemoryBroker.drop(`memory://${this.broker.name}`);
  }
}
