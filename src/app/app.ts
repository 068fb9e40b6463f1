/**
 * The App: where topics, channels, agents, streams, timers and tasks are declared, and what a
 * worker runs. Its types carry from the topic bindings to every handler:
 *
 * ```ts
 * const app = new App('clickstream');
 * const clicks = app.topic(topics.clicks);                  // Topic<string, Click>
 * const counter = app.agent(clicks, async function* count(stream) {
 *   for await (const click of stream.filter((c) => c.path !== '/health')) yield click.userId;
 * });                                                        // Agent<Click, string, string>
 * ```
 */
import { CronExpressionParser } from 'cron-parser';
import { ConfigError } from '../errors.js';
import type { TopicBinding } from '../serde/binding.js';
import { defineTable, type Table, type TableOptions } from '../tables/index.js';
import { Agent, StreamSource, type AgentHandler, type AgentOptions } from './agent.js';
import type { AppInternals } from './hooks.js';
import { Runtime, type AppState } from './runtime.js';
import { resolveSettings, type AppSettings } from './settings.js';
import type { Processor, Stream } from './stream.js';
import type { Channel, Topic } from './topic.js';

export interface TimerOptions {
  /** Names the timer in logs. */
  readonly name?: string;
}

export interface CrontabOptions extends TimerOptions {
  /** IANA time zone of the expression (default: the process's). */
  readonly timezone?: string;
}

/** Infers the output type of a handler: what its async generator yields (never if it yields nothing). */
export type InferHandlerOutput<THandler> = THandler extends (...args: any[]) => AsyncIterable<infer TOut> ? TOut : never;

export class App {
  readonly id: string;
  readonly #runtime: Runtime;

  constructor(id: string, settings: AppSettings = {}) {
    if (!/^[A-Za-z0-9._-]+$/.test(id)) {
      throw new ConfigError('app id', `${JSON.stringify(id)} may hold only letters, digits, ".", "_" and "-" (it names the consumer group and internal topics)`);
    }
    this.id = id;
    this.#runtime = new Runtime(id, resolveSettings(id, settings));
  }

  /** A typed topic for a binding (from `generated/topics.ts` or `defineTopic`). */
  topic<TKey, TValue>(binding: TopicBinding<TKey, TValue>): Topic<TKey, TValue> {
    return this.#runtime.topic(binding);
  }

  /** An in-memory channel of values, usable wherever a topic is; nothing goes to the broker. */
  channel<TValue>(name?: string): Channel<TValue> {
    return this.#runtime.channel<TValue>(name);
  }

  /**
   * An agent: `handler` gets a typed stream of the source's values and iterates it with
   * `for await`; what it yields goes to `options.sink` and answers `agent.ask`.
   */
  agent<TKey, TValue, TOut = never>(
    source: Topic<TKey, TValue> | StreamSource<TKey, TValue>,
    handler: (stream: Stream<TValue, TKey>) => AsyncIterable<TOut> | Promise<void> | void,
    options?: AgentOptions<TOut>,
  ): Agent<TValue, TOut, TKey>;
  agent<TValue, TOut = never>(
    source: Channel<TValue>,
    handler: (stream: Stream<TValue, null>) => AsyncIterable<TOut> | Promise<void> | void,
    options?: AgentOptions<TOut>,
  ): Agent<TValue, TOut, null>;
  agent(
    source: Topic<any, any> | Channel<any> | StreamSource<any, any>,
    handler: AgentHandler<any, any, any>,
    options: AgentOptions<any> = {},
  ): Agent<any, any, any> {
    const agent = new Agent(this.#runtime, source, handler, options);
    this.#runtime.addAgent(agent);
    return agent;
  }

  /** A source whose values go through `processors` (sync or async, in order) before the handler. */
  stream<TKey, TValue>(source: Topic<TKey, TValue>, options?: { readonly processors?: readonly Processor<TValue>[] }): StreamSource<TKey, TValue>;
  stream<TValue>(source: Channel<TValue>, options?: { readonly processors?: readonly Processor<TValue>[] }): StreamSource<null, TValue>;
  stream(source: Topic<any, any> | Channel<any>, options: { readonly processors?: readonly Processor<any>[] } = {}): StreamSource<any, any> {
    return new StreamSource(source, options.processors ?? []);
  }

  /**
   * A table: partitioned key/value state kept in the app's store and its changelog topic
   * `<app>-<name>-changelog` (see src/tables). With `default`, `get` never returns undefined.
   */
  table<TKey, TValue>(name: string, options: TableOptions<TKey, TValue> & { readonly default: () => TValue }): Table<TKey, TValue, never>;
  table<TKey, TValue>(name: string, options: TableOptions<TKey, TValue>): Table<TKey, TValue, undefined>;
  table<TKey, TValue>(name: string, options: TableOptions<TKey, TValue>): Table<TKey, TValue, unknown> {
    return defineTable(this.internals, name, options);
  }

  /** Calls `fn` every `intervalMs` while the app runs (first call one interval after start). */
  timer(intervalMs: number, fn: () => unknown, options: TimerOptions = {}): void {
    if (!(intervalMs > 0)) throw new ConfigError('timer interval', `must be a positive number of ms, got ${intervalMs}`);
    this.#runtime.addTimer({ name: options.name ?? (fn.name || 'timer'), next: (now) => now + intervalMs, fn });
  }

  /** Calls `fn` at the times of a cron expression (`'*\/5 * * * *'`, seconds field optional). */
  crontab(expression: string, fn: () => unknown, options: CrontabOptions = {}): void {
    const parse = (now: number) =>
      CronExpressionParser.parse(expression, { currentDate: new Date(now), ...(options.timezone === undefined ? {} : { tz: options.timezone }) });
    try {
      parse(Date.now());
    } catch (error) {
      throw new ConfigError(`crontab ${JSON.stringify(expression)}`, error instanceof Error ? error.message : String(error), { cause: error });
    }
    this.#runtime.addTimer({ name: options.name ?? (fn.name || `crontab ${expression}`), next: (now) => parse(now).next().getTime(), fn });
  }

  /** Runs `fn` once, after the app started. */
  task(fn: () => unknown): void {
    this.#runtime.addTask(fn);
  }

  /** Connects, creates topics, starts agents and timers, and joins the consumer group. */
  start(): Promise<void> {
    return this.#runtime.start();
  }

  /** Graceful stop: in-flight events finish, processed offsets are committed, sends are flushed. */
  stop(): Promise<void> {
    return this.#runtime.stop();
  }

  /** Commits what has been processed now (otherwise every `commitInterval`). */
  commit(): Promise<void> {
    return this.#runtime.commit();
  }

  /** Resolves when the app stopped; rejects with the error when it stopped because of one (policy `crash`). */
  async stopped(): Promise<void> {
    await this.#runtime.stopped;
    const error = this.#runtime.crashError;
    if (error !== undefined) throw error;
  }

  get state(): AppState {
    return this.#runtime.state;
  }

  /**
   * Runs the app as a worker until SIGINT or SIGTERM, then stops gracefully. Resolves with the
   * process exit code (0, or 1 when the app stopped because of an error).
   */
  async main(): Promise<number> {
    const { runWorker } = await import('./worker.js');
    return runWorker(this);
  }

  /** @internal For tables, the test driver and other components (see ./hooks.ts). */
  get internals(): AppInternals {
    return this.#runtime;
  }

  /** @internal */
  get runtime(): Runtime {
    return this.#runtime;
  }
}
