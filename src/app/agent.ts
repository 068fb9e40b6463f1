/**
 * Agents: a handler over a typed stream, run by one or more instances inside the worker.
 *
 * The handler is an async generator (what it yields goes to the sinks, and answers `ask`) or an
 * async function that never yields. It runs until the app stops. When it throws, the agent's error
 * policy handles the event(s) it was processing, and the handler is started again on the same
 * stream: consumption never stops silently.
 *
 * Concurrency: with `concurrency: n`, n instances run the handler, each on its own stream; every
 * record goes to the instance chosen by a hash of its key bytes (murmur2 modulo n). So events with
 * the same key are processed one at a time, in partition order, by one instance; events with
 * different keys may be processed out of order. Null keys go round robin over the instances.
 * Commits are unaffected: an offset is committed only once every earlier one is done.
 */
import { AgentError, AskTimeoutError, ConfigError, KeyDecodeError, ValueDecodeError } from '../errors.js';
import type { Codec } from '../serde/codec.js';
import { partitionForKey } from '../transport/partitioner.js';
import type { ConsumerRecord, RecordHeaders } from '../transport/types.js';
import type { Clock } from './clock.js';
import type { EventContext } from './hooks.js';
import { Input, isChannelMessage, type InputItem } from './input.js';
import { Stream, StreamCore, type Processor, type StreamHost } from './stream.js';
import { Channel, Topic, type Message, type Sink } from './topic.js';
import type { AgentRuntime } from './runtime.js';

export type ErrorPolicy = 'crash' | 'skip' | 'dead-letter';

export interface AgentOptions<TOut> {
  /** Names the agent in logs, errors and internal topics. Default: the handler's name. */
  readonly name?: string;
  /** Handler instances (see the ordering note above). Default 1. */
  readonly concurrency?: number;
  /** Where yielded values go: topics, channels, agents, functions. */
  readonly sink?: readonly Sink<any, TOut>[];
  /** What happens to an event whose handler threw or whose bytes cannot be decoded. Default `dead-letter`. */
  readonly onError?: ErrorPolicy;
  /** Dead-letter topic; default `<app>-<agent>-dlq`. */
  readonly deadLetterTopic?: string;
  /** `manual`: events are acknowledged only by `stream.ack(event)` / `event.ack()`. Default `auto`. */
  readonly ack?: 'auto' | 'manual';
  /** Capacity of each instance's input queue (default: the app's `bufferSize`). */
  readonly bufferSize?: number;
  /** Codec of replies to `ask` (default: the first topic sink's value codec, else structured clone). */
  readonly replyCodec?: Codec<TOut>;
}

/** A handler: an async generator yielding results, or an async function that yields nothing. */
export type AgentHandler<TValue, TKey, TOut> = (stream: Stream<TValue, TKey>) => AsyncIterable<TOut> | Promise<void> | void;

/** What `app.agent` and `app.stream` accept as a source. */
export type AgentSource<TKey, TValue> = Topic<TKey, TValue> | Channel<TValue> | StreamSource<TKey, TValue>;

/** `app.stream(source, { processors })`: a source with a chain of value processors. */
export class StreamSource<TKey, TValue> {
  readonly kind = 'stream-source' as const;
  constructor(
    readonly source: Topic<TKey, TValue> | Channel<TValue>,
    readonly processors: readonly Processor<TValue>[],
  ) {}
}

export type InferAgentOutput<TAgent> = TAgent extends Agent<any, infer TOut, any> ? TOut : never;

export interface AskOptions<TKey> {
  readonly key?: TKey | null;
  readonly headers?: RecordHeaders;
  /** ms; default 30000. */
  readonly timeout?: number;
}

export const REPLY_TO = 'mephisto-reply-to';
export const CORRELATION_ID = 'mephisto-correlation-id';

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  value !== null && typeof value === 'object' && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

/** Inputs of one agent for one topic: one per instance, made when first needed. */
export class AgentSubscription {
  readonly inputs: Input[];
  #roundRobin = 0;
  constructor(
    readonly agent: Agent<any, any, any>,
    readonly topic: string,
    readonly makeInput: () => Input,
  ) {
    this.inputs = Array.from({ length: agent.concurrency }, () => makeInput());
  }

  /** The instance input a record goes to (same key, same instance). */
  route(record: ConsumerRecord): Input {
    const inputs = this.inputs;
    if (inputs.length === 1) return inputs[0]!;
    if (record.key === null) {
      const i = this.#roundRobin;
      this.#roundRobin = (i + 1) % inputs.length;
      return inputs[i]!;
    }
    return inputs[partitionForKey(record.key, inputs.length)]!;
  }
}

export class Agent<TValue, TOut, TKey = unknown> {
  readonly kind = 'agent' as const;
  readonly name: string;
  readonly concurrency: number;
  readonly policy: ErrorPolicy;
  readonly deadLetterTopic: string;
  readonly manualAck: boolean;
  readonly bufferSize: number;
  /** Where yields go (typed on the way in, by `options.sink`). */
  readonly sinks: readonly Sink<any, any>[];
  readonly source: Topic<TKey, TValue> | Channel<TValue>;
  readonly processors: readonly Processor<TValue>[];
  /** @internal */
  instances: AgentInstance[] = [];
  readonly options: AgentOptions<any>;
  /** Events handled by the error policy so far (for tests and metrics). */
  failures = 0;

  /** @internal Made by `app.agent(...)`. */
  constructor(
    readonly runtime: AgentRuntime,
    source: AgentSource<TKey, TValue>,
    readonly handler: AgentHandler<TValue, TKey, TOut>,
    options: AgentOptions<TOut>,
  ) {
    this.options = options as AgentOptions<any>;
    if (source instanceof StreamSource) {
      this.source = source.source;
      this.processors = source.processors;
    } else {
      this.source = source;
      this.processors = [];
    }
    this.name = options.name ?? (handler.name || `agent${runtime.agentCount}`);
    if (!/^[A-Za-z0-9._-]+$/.test(this.name)) {
      throw new ConfigError(`agent ${this.name}`, 'names may hold only letters, digits, ".", "_" and "-" (they name topics)');
    }
    this.concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new ConfigError(`agent ${this.name}: concurrency`, `must be a positive integer, got ${options.concurrency}`);
    }
    this.policy = options.onError ?? 'dead-letter';
    this.deadLetterTopic = options.deadLetterTopic ?? `${runtime.id}-${this.name}-dlq`;
    this.manualAck = options.ack === 'manual';
    this.bufferSize = options.bufferSize ?? runtime.settings.bufferSize;
    this.sinks = (options.sink ?? []) as readonly Sink<any, any>[];
  }

  /** Sends a value to the agent's source (its topic or channel). */
  send(message: Message<TKey, TValue>): Promise<void> {
    return this.source.send(message as Message<any, TValue>);
  }

  /**
   * Sends a value and resolves with what the handler yields for it: the reply travels through
   * the app's reply topic with a correlation id (in process for channel-fed agents). Rejects with
   * an `AskTimeoutError` when no reply comes within `timeout` ms (default 30000).
   */
  ask(value: TValue, options: AskOptions<TKey> = {}): Promise<TOut> {
    return this.runtime.ask(this, value, options) as Promise<TOut>;
  }

  /** Total events waiting in the instances' input queues. */
  get queued(): number {
    let n = 0;
    for (const instance of this.instances) for (const input of instance.inputs.values()) n += input.length;
    return n;
  }
}

/** One running copy of an agent's handler, with its inputs and its error handling. */
export class AgentInstance implements StreamHost {
  readonly inputs = new Map<string, Input>();
  readonly clock: Clock;
  readonly manualAck: boolean;
  /** The item most recently handed to the handler (for replies and the event context). */
  current: InputItem | undefined;
  currentInput: Input | undefined;
  batchSpansPartitions = false;
  #stopped = false;
  #done: Promise<void> | undefined;
  #cancelBackoff: (() => void) | undefined;
  readonly #forwarders: Promise<void>[] = [];

  constructor(
    readonly agent: Agent<any, any, any>,
    readonly index: number,
    readonly runtime: AgentRuntime,
    primary: Input,
  ) {
    this.clock = runtime.clock;
    this.manualAck = agent.manualAck;
    this.inputs.set(primary.source, primary);
    this.primary = primary;
  }

  readonly primary: Input;

  /** Starts the handler; the returned promise settles when the instance stopped for good. */
  start(): Promise<void> {
    // The whole loop in the instance's context: an async generator's body runs in the context of
    // whoever calls next(), and yields are sent from here (tables, exactly-once need the event).
    this.#done ??= this.runtime.runInContext(this, () => this.#loop());
    return this.#done;
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelBackoff?.();
    for (const input of this.inputs.values()) input.close();
  }

  get done(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  #makeStream(): Stream<unknown, unknown> {
    const stream = new Stream<unknown, unknown>(new StreamCore(this.primary, this));
    return this.agent.processors.length > 0 ? stream.process(...this.agent.processors) : stream;
  }

  async #loop(): Promise<void> {
    const agent = this.agent;
    const runtime = this.runtime;
    while (!this.#stopped) {
      const consumedBefore = this.#deliveredTotal();
      try {
        const result = runtime.runInContext(this, () => agent.handler(this.#makeStream()));
        if (isAsyncIterable(result)) {
          const iterator = result[Symbol.asyncIterator]();
          for (;;) {
            const step = await iterator.next();
            if (step.done) break;
            const sent = this.emit(step.value);
            if (sent !== undefined) await sent;
          }
        } else if (isThenable(result)) {
          await result;
        }
        if (this.#stopped) break;
        runtime.logger.warn(`Agent ${agent.name} handler returned while the app runs; starting it again`, { instance: this.index });
      } catch (error) {
        if (this.#stopped) {
          runtime.logger.warn(`Agent ${agent.name} handler threw while stopping`, { error });
          break;
        }
        const go = await this.#onHandlerError(error);
        if (!go) break;
      }
      if (this.#deliveredTotal() === consumedBefore && !this.#stopped) {
        // Nothing consumed since the last start: wait a little rather than spin.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          timer.unref?.();
          this.#cancelBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    await Promise.allSettled(this.#forwarders);
  }

  #deliveredTotal(): number {
    let n = 0;
    for (const input of this.inputs.values()) n += input.deliveredTotal;
    return n;
  }

  /** Sends a yielded value to the sinks, and as the reply when the current event asked for one. */
  emit(value: unknown): Promise<void> | undefined {
    const item = this.current;
    if (item !== undefined) this.runtime.replyIfAsked(this.agent, item, value);
    this.runtime.observeYield?.(this.agent, value);
    let wait: Promise<unknown>[] | undefined;
    for (const sink of this.agent.sinks) {
      const sent = this.runtime.sendToSink(sink as Sink<unknown, unknown>, null, value, undefined);
      if (sent !== undefined) (wait ??= []).push(sent);
    }
    return wait === undefined ? undefined : Promise.all(wait).then(() => undefined);
  }

  /** Every delivered, unacknowledged item of every input (what the handler was working on). */
  #pending(): { input: Input; item: InputItem }[] {
    const out: { input: Input; item: InputItem }[] = [];
    for (const input of this.inputs.values()) for (const item of input.pending) out.push({ input, item });
    return out;
  }

  async #onHandlerError(error: unknown): Promise<boolean> {
    const pending = this.#pending();
    const agent = this.agent;
    const first = pending[0]?.item;
    const where = first === undefined || isChannelMessage(first) ? {} : { topic: first.topic, partition: first.partition, offset: first.offset };
    const failure = new AgentError(agent.name, where, { cause: error });
    if (agent.policy === 'crash') {
      this.runtime.crash(failure);
      return false;
    }
    agent.failures += Math.max(1, pending.length);
    for (const { input, item } of pending) {
      this.runtime.deadLetterOrSkip(agent, item, input.source, failure, error);
      input.ackItem(item);
    }
    if (pending.length === 0) this.runtime.logger.error(`Agent ${agent.name} handler threw outside any event; starting it again`, { error: failure });
    return true;
  }

  // StreamHost -------------------------------------------------------------------------------

  onDecodeError(input: Input, item: InputItem, error: unknown): boolean {
    const record = item as ConsumerRecord;
    const schemaId = (error as { schemaId?: unknown } | null)?.schemaId;
    const where = { topic: record.topic, partition: record.partition, offset: record.offset, schemaId: typeof schemaId === 'number' ? schemaId : undefined };
    const reason = error instanceof Error ? error.message : String(error);
    const isKey = (error as { part?: unknown } | null)?.part === 'key';
    const decodeError = isKey ? new KeyDecodeError(where, reason, { cause: error }) : new ValueDecodeError(where, reason, { cause: error });
    if ((error as { registryUnavailable?: unknown } | null)?.registryUnavailable === true) {
      // Not the record's fault: stop rather than dead-letter good data; a restart reads it again.
      this.runtime.crash(decodeError);
      return false;
    }
    this.agent.failures++;
    if (this.agent.policy === 'crash') {
      this.runtime.crash(decodeError);
      return false;
    }
    this.runtime.deadLetterOrSkip(this.agent, item, input.source, decodeError, error);
    return true;
  }

  sendTo(sink: Sink<unknown, unknown>, key: unknown, value: unknown, headers: RecordHeaders | undefined): void {
    const sent = this.runtime.sendToSink(sink, key, value, headers);
    sent?.catch((error: unknown) => this.runtime.logger.error(`Agent ${this.agent.name}: send failed`, { error }));
  }

  repartition(upstream: Stream<unknown, unknown>, name: string, keyFn: (value: unknown) => unknown, key: Codec<unknown> | undefined, value: Codec<unknown> | undefined, partitions: number | undefined): Input {
    const { topic, input } = this.runtime.repartitionTopic(this, name, key, value!, upstream.core.input.source, partitions);
    this.#forward(upstream, (v, event) => topic.send({ key: keyFn(v), value: v, headers: event?.headers }));
    return input;
  }

  through(upstream: Stream<unknown, unknown>, sink: Sink<unknown, unknown>): Input {
    if (!(sink instanceof Topic)) throw new ConfigError('through', 'through() takes a topic');
    const input = this.runtime.throughTopic(this, sink);
    this.#forward(upstream, (v, event, key) => sink.send({ key, value: v, headers: event?.headers }));
    return input;
  }

  #forward(upstream: Stream<unknown, unknown>, send: (value: unknown, item: InputItem | undefined, key: unknown) => Promise<void>): void {
    const needsKey = new Stream<unknown, unknown>(upstream.core, upstream.ops).items();
    const run = async () => {
      while (!this.#stopped) {
        try {
          for await (const [key, value] of needsKey) {
            const sent = send(value, upstream.core.item, key);
            sent.catch((error: unknown) => this.runtime.logger.error(`Agent ${this.agent.name}: forwarding failed`, { error }));
          }
          if (this.#stopped) break;
        } catch (error) {
          const go = await this.#onHandlerError(error);
          if (!go) break;
        }
      }
    };
    this.#forwarders.push(run());
  }

  valueCodecOf(input: Input): Codec<unknown> | undefined {
    return this.runtime.valueCodecOf(input.source);
  }

  /** The event context of the current item. */
  context(): EventContext | undefined {
    const item = this.current;
    if (item === undefined) return undefined;
    if (isChannelMessage(item)) {
      return { topic: this.currentInput?.source ?? '', partition: 0, offset: '-1', timestamp: item.timestamp, headers: item.headers, record: undefined };
    }
    const context: EventContext = { topic: item.topic, partition: item.partition, offset: item.offset, timestamp: item.timestamp, headers: item.headers, record: item };
    return this.batchSpansPartitions ? { ...context, spansPartitions: true } : context;
  }
}


export { AskTimeoutError };
