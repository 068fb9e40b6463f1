/**
 * Every error mephisto throws is a MephistoError. Subclasses carry the context a user needs to find
 * the problem (a file and a place in it, a topic/partition/offset, a schema id), and each has an
 * `isX` predicate so that callers need not rely on `instanceof` across package copies.
 *
 * A message says what happened, where, and what to do about it.
 *
 * Add new error classes here, beside their kin; this is the one errors module of the project.
 */

export interface MephistoErrorOptions {
  readonly cause?: unknown;
}

export class MephistoError extends Error {
  /** Stable machine-readable code, e.g. `VALUE_DECODE`. */
  readonly code: string;

  constructor(message: string, options: MephistoErrorOptions & { code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'MEPHISTO';
  }
}

/** By class name, also of a subclass (a TopicMismatchError is a ConfigError), across package copies. */
const brand = (name: string) => (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if ((error as { name?: unknown }).name === name) return true;
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === name) return true;
  }
  return false;
};

export const isMephistoError = (error: unknown): error is MephistoError =>
  error instanceof MephistoError;

// ---------------------------------------------------------------------------------------------
// Configuration and usage

/** A setting or argument is wrong: the message names the setting and the accepted values. */
export class ConfigError extends MephistoError {
  readonly setting: string;
  /** `whole`: the message is complete as given (a subclass names the setting its own way). */
  constructor(setting: string, message: string, options: MephistoErrorOptions & { readonly code?: string; readonly whole?: boolean } = {}) {
    super(options.whole === true ? message : `${setting}: ${message}`, { cause: options.cause, code: options.code ?? 'CONFIG' });
    this.setting = setting;
  }
}
export const isConfigError = brand('ConfigError') as (e: unknown) => e is ConfigError;

// ---------------------------------------------------------------------------------------------
// Serialization on the wire

export interface RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A key's or value's bytes could not be turned into the topic's type. */
export abstract class RecordDecodeError extends MephistoError implements RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly schemaId: number | undefined;
  readonly reason: string;
  abstract readonly part: 'key' | 'value';
  protected constructor(
    part: 'key' | 'value',
    where: RecordLocation & { schemaId?: number | undefined },
    reason: string,
    options: MephistoErrorOptions = {},
  ) {
    const id = where.schemaId === undefined ? '' : ` (writer schema id ${where.schemaId})`;
    super(`Cannot decode ${part} at ${where.topic}[${where.partition}]@${where.offset}${id}: ${reason}`, {
      ...options,
      code: part === 'key' ? 'KEY_DECODE' : 'VALUE_DECODE',
    });
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
    this.schemaId = where.schemaId;
    this.reason = reason;
  }
}

/** A value's bytes could not be turned into the topic's value type. */
export class ValueDecodeError extends RecordDecodeError {
  readonly part = 'value' as const;
  constructor(where: RecordLocation & { schemaId?: number | undefined }, reason: string, options: MephistoErrorOptions = {}) {
    super('value', where, reason, options);
  }
}
export const isValueDecodeError = brand('ValueDecodeError') as (e: unknown) => e is ValueDecodeError;

/** A key's bytes could not be turned into the topic's key type. */
export class KeyDecodeError extends RecordDecodeError {
  readonly part = 'key' as const;
  constructor(where: RecordLocation & { schemaId?: number | undefined }, reason: string, options: MephistoErrorOptions = {}) {
    super('key', where, reason, options);
  }
}
export const isKeyDecodeError = brand('KeyDecodeError') as (e: unknown) => e is KeyDecodeError;

/** A value given to `send` does not match the topic's type at run time (e.g. from untyped JS). */
export class EncodeError extends MephistoError {
  readonly topic: string | undefined;
  readonly errors: readonly string[];
  constructor(what: string, errors: readonly string[], topic?: string, options: MephistoErrorOptions = {}) {
    const where = topic === undefined ? '' : ` for topic ${topic}`;
    super(`Cannot encode ${what}${where}: ${errors.join('; ')}`, { ...options, code: 'ENCODE' });
    this.topic = topic;
    this.errors = errors;
  }
}
export const isEncodeError = brand('EncodeError') as (e: unknown) => e is EncodeError;

/** Bytes (or plain JSON) could not be read as a generated model or Avro type. */
export class ModelDecodeError extends MephistoError {
  /** The model's Avro full name, or the type's short name (`long`, `array`). */
  readonly model: string;
  readonly reason: string;
  constructor(model: string, reason: string, options: MephistoErrorOptions = {}) {
    super(`Cannot decode ${model}: ${reason}`, { ...options, code: 'MODEL_DECODE' });
    this.model = model;
    this.reason = reason;
  }
}
export const isModelDecodeError = brand('ModelDecodeError') as (e: unknown) => e is ModelDecodeError;

// ---------------------------------------------------------------------------------------------
// Code generation

/** One thing wrong with the schemas or the topic manifest: a file, a JSON path in it, a message. */
export interface SchemaProblemInfo {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

/** `mephisto codegen` found bad input; every problem of the run is listed, each with its place. */
export class SchemaError extends MephistoError {
  readonly problems: readonly SchemaProblemInfo[];
  constructor(problems: readonly SchemaProblemInfo[], options: MephistoErrorOptions = {}) {
    const lines = problems.map((p) => `  ${p.file}: ${p.path}: ${p.message}`);
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the schemas:\n${lines.join('\n')}`, {
      ...options,
      code: 'SCHEMA',
    });
    this.problems = problems;
  }
}
export const isSchemaError = brand('SchemaError') as (e: unknown) => e is SchemaError;

// ---------------------------------------------------------------------------------------------
// Schema registry

/**
 * Framed (Confluent wire format) bytes could not be read: wrong magic byte, truncated body,
 * trailing bytes, an unknown writer schema id or a writer schema the reader cannot resolve.
 * Thrown by the registry wire codec, which does not know the record's offset; the runtime wraps it
 * into a `ValueDecodeError`/`KeyDecodeError` with the location.
 */
export class WireDecodeError extends MephistoError {
  readonly reason: string;
  readonly schemaId: number | undefined;
  /** Whether the bytes were a record's key or its value, when the codec knows. */
  readonly part: 'key' | 'value' | undefined;
  /**
   * The registry could not be asked (refused the credentials, rate-limited, away past the retries):
   * nothing is known to be wrong with the bytes, so the record must not be dead-lettered.
   */
  readonly registryUnavailable: boolean;
  constructor(reason: string, schemaId?: number, options: MephistoErrorOptions & { part?: 'key' | 'value'; registryUnavailable?: boolean } = {}) {
    const id = schemaId === undefined ? '' : ` (writer schema id ${schemaId})`;
    super(`Cannot decode framed Avro ${options.part ?? 'bytes'}${id}: ${reason}`, { ...options, code: 'WIRE_DECODE' });
    this.reason = reason;
    this.schemaId = schemaId;
    this.part = options.part;
    this.registryUnavailable = options.registryUnavailable ?? false;
  }
}
export const isWireDecodeError = brand('WireDecodeError') as (e: unknown) => e is WireDecodeError;

/**
 * The schema registry answered with an error or could not be reached. `url` never holds
 * credentials; `status` is the HTTP status (undefined when there was no answer), `errorCode` the
 * registry's own code (e.g. 40401 subject not found, 40403 schema not found).
 */
export class RegistryError extends MephistoError {
  readonly url: string;
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  constructor(
    message: string,
    where: { url: string; status?: number | undefined; errorCode?: number | undefined },
    options: MephistoErrorOptions = {},
  ) {
    super(message, { ...options, code: 'REGISTRY' });
    this.url = where.url;
    this.status = where.status;
    this.errorCode = where.errorCode;
  }
}
export const isRegistryError = brand('RegistryError') as (e: unknown) => e is RegistryError;

/** A schema breaks its subject's compatibility rules; `messages` says what breaks and where. */
export class SchemaIncompatibleError extends MephistoError {
  readonly subject: string;
  readonly messages: readonly string[];
  constructor(subject: string, messages: readonly string[], options: MephistoErrorOptions = {}) {
    super(
      `Schema is not compatible with subject ${subject}: ${messages.join('; ')}. ` +
        'Give new fields a default, keep removed fields optional, or change the subject\'s compatibility level.',
      { ...options, code: 'SCHEMA_INCOMPATIBLE' },
    );
    this.subject = subject;
    this.messages = messages;
  }
}
export const isSchemaIncompatibleError = brand('SchemaIncompatibleError') as (
  e: unknown,
) => e is SchemaIncompatibleError;

// ---------------------------------------------------------------------------------------------
// Tables and state stores

/** A store directory is already open in another worker (LevelDB holds an exclusive lock). */
export class StoreLockedError extends MephistoError {
  readonly path: string;
  readonly table: string;
  constructor(where: { path: string; table: string }, options: MephistoErrorOptions = {}) {
    super(
      `Table ${where.table}: the store directory ${where.path} is locked by another worker. ` +
        'Two workers cannot share a store directory: stop the other worker, or give each worker its own data directory.',
      { ...options, code: 'STORE_LOCKED' },
    );
    this.path = where.path;
    this.table = where.table;
  }
}
export const isStoreLockedError = brand('StoreLockedError') as (e: unknown) => e is StoreLockedError;

/** A table's changelog and its source topic disagree on their partition count (setting `partitions`). */
export class TablePartitionsError extends ConfigError {
  readonly table: string;
  readonly changelog: string;
  readonly changelogPartitions: number;
  readonly source: string;
  readonly sourcePartitions: number;
  constructor(
    where: { table: string; changelog: string; changelogPartitions: number; source: string; sourcePartitions: number },
    options: MephistoErrorOptions = {},
  ) {
    super(
      'partitions',
      `Table ${where.table}: changelog topic ${where.changelog} has ${where.changelogPartitions} partitions but its ` +
        `source topic ${where.source} has ${where.sourcePartitions}; a key's state must live on the partition its events ` +
        'arrive on. Give the table the source topic\'s partition count (recreate the changelog), repartition the source, ' +
        'or set the table option `source` to the one topic it follows.',
      { ...options, code: 'TABLE_PARTITIONS', whole: true },
    );
    this.table = where.table;
    this.changelog = where.changelog;
    this.changelogPartitions = where.changelogPartitions;
    this.source = where.source;
    this.sourcePartitions = where.sourcePartitions;
  }
}
export const isTablePartitionsError = brand('TablePartitionsError') as (e: unknown) => e is TablePartitionsError;

/** A table was used where it cannot be: outside an event without a partition, on a partition this worker does not hold, or a write to a global table. */
export class TableAccessError extends MephistoError {
  readonly table: string;
  readonly partition: number | undefined;
  constructor(where: { table: string; partition?: number | undefined }, reason: string, options: MephistoErrorOptions = {}) {
    const at = where.partition === undefined ? '' : ` partition ${where.partition}`;
    super(`Table ${where.table}${at}: ${reason}`, { ...options, code: 'TABLE_ACCESS' });
    this.table = where.table;
    this.partition = where.partition;
  }
}
export const isTableAccessError = brand('TableAccessError') as (e: unknown) => e is TableAccessError;

// ---------------------------------------------------------------------------------------------
// Transport and runtime (agents, streams, request/reply)

/** A broker operation failed: `operation` names it (e.g. `send`, `commit`), `topic` when known. */
export class TransportError extends MephistoError {
  readonly operation: string;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  constructor(
    operation: string,
    message: string,
    where: { topic?: string | undefined; partition?: number | undefined } = {},
    options: MephistoErrorOptions = {},
  ) {
    const at = where.topic === undefined ? '' : where.partition === undefined ? ` on ${where.topic}` : ` on ${where.topic}[${where.partition}]`;
    super(`Transport ${operation}${at} failed: ${message}`, { ...options, code: 'TRANSPORT' });
    this.operation = operation;
    this.topic = where.topic;
    this.partition = where.partition;
  }
}
export const isTransportError = brand('TransportError') as (e: unknown) => e is TransportError;

/**
 * A topic the app declares (or an internal one: changelog, repartition) exists on the broker with
 * different settings (partition count, cleanup policy). A ConfigError: not fixed silently, since a
 * changed partition count moves keys to other partitions, and a changelog that is not compacted
 * loses table state to retention.
 */
export class TopicMismatchError extends ConfigError {
  readonly topic: string;
  /** What the app expects. */
  readonly declared: string;
  /** What the broker has. */
  readonly actual: string;
  constructor(topic: string, setting: string, declared: string, actual: string, advice: string) {
    super(setting, `Topic ${topic} exists with ${setting}=${actual}, but the app declares ${setting}=${declared}. ${advice}`, {
      code: 'TOPIC_MISMATCH',
      whole: true,
    });
    this.topic = topic;
    this.declared = declared;
    this.actual = actual;
  }
}
export const isTopicMismatchError = brand('TopicMismatchError') as (e: unknown) => e is TopicMismatchError;

/**
 * An agent's handler threw while processing an event. The error policy decides what follows
 * (`crash`, `skip`, `dead-letter`); with `crash` the worker stops with this error.
 */
export class AgentError extends MephistoError {
  readonly agent: string;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: string | undefined;
  constructor(
    agent: string,
    where: { topic?: string | undefined; partition?: number | undefined; offset?: string | undefined },
    options: MephistoErrorOptions = {},
  ) {
    const at = where.topic === undefined ? '' : ` at ${where.topic}[${where.partition}]@${where.offset}`;
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `Agent ${agent} failed${at}: ${reason}. Fix the handler, or set the agent's onError policy to 'skip' or 'dead-letter'.`,
      { ...options, code: 'AGENT' },
    );
    this.agent = agent;
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
  }
}
export const isAgentError = brand('AgentError') as (e: unknown) => e is AgentError;

/** `agent.ask(...)` got no reply in time. */
export class AskTimeoutError extends MephistoError {
  readonly agent: string;
  readonly timeoutMs: number;
  readonly correlationId: string;
  constructor(agent: string, timeoutMs: number, correlationId: string) {
    super(
      `No reply from agent ${agent} within ${timeoutMs} ms (correlation id ${correlationId}). ` +
        'Check that a worker runs the agent and that its handler yields once per event; raise `timeout` if it is just slow.',
      { code: 'ASK_TIMEOUT' },
    );
    this.agent = agent;
    this.timeoutMs = timeoutMs;
    this.correlationId = correlationId;
  }
}
export const isAskTimeoutError = brand('AskTimeoutError') as (e: unknown) => e is AskTimeoutError;

/** The app was used in a way its current state does not allow (e.g. an agent defined after start). */
export class AppStateError extends MephistoError {
  readonly app: string;
  constructor(app: string, message: string, options: MephistoErrorOptions = {}) {
    super(`App ${app}: ${message}`, { ...options, code: 'APP_STATE' });
    this.app = app;
  }
}
export const isAppStateError = brand('AppStateError') as (e: unknown) => e is AppStateError;

// ---------------------------------------------------------------------------------------------
// Exactly-once processing (src/app/exactly-once.ts)

/**
 * A transaction of one source partition could not be committed under `exactly_once` (fenced by
 * a newer owner of the partition, or a broker error). Its sends, changelog writes and offsets are
 * discarded; the worker stops, and a restart rebuilds its state from what was committed.
 */
export class ExactlyOnceError extends MephistoError {
  readonly topic: string;
  readonly partition: number;
  readonly transactionalId: string;
  constructor(where: { topic: string; partition: number; transactionalId: string }, message: string, options: MephistoErrorOptions = {}) {
    super(
      `Exactly-once transaction ${where.transactionalId} for ${where.topic}[${where.partition}] failed: ${message}. ` +
        'Its output and offsets were discarded; restart the worker (it resumes from the last committed transaction).',
      { ...options, code: 'EXACTLY_ONCE' },
    );
    this.topic = where.topic;
    this.partition = where.partition;
    this.transactionalId = where.transactionalId;
  }
}
export const isExactlyOnceError = brand('ExactlyOnceError') as (e: unknown) => e is ExactlyOnceError;
