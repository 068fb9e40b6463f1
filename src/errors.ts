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

const brand = (name: string) => (error: unknown): boolean =>
  error instanceof Error && (error as { name?: unknown }).name === name;

export const isMephistoError = (error: unknown): error is MephistoError =>
  error instanceof MephistoError;

// ---------------------------------------------------------------------------------------------
// Configuration and usage

/** A setting or argument is wrong: the message names the setting and the accepted values. */
export class ConfigError extends MephistoError {
  readonly setting: string;
  constructor(setting: string, message: string, options: MephistoErrorOptions = {}) {
    super(`${setting}: ${message}`, { ...options, code: 'CONFIG' });
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

/** A value's bytes could not be turned into the topic's value type. */
export class ValueDecodeError extends MephistoError implements RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly schemaId: number | undefined;
  readonly reason: string;
  constructor(
    where: RecordLocation & { schemaId?: number | undefined },
    reason: string,
    options: MephistoErrorOptions = {},
  ) {
    const id = where.schemaId === undefined ? '' : ` (writer schema id ${where.schemaId})`;
    super(
      `Cannot decode value at ${where.topic}[${where.partition}]@${where.offset}${id}: ${reason}`,
      { ...options, code: 'VALUE_DECODE' },
    );
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
    this.schemaId = where.schemaId;
    this.reason = reason;
  }
}
export const isValueDecodeError = brand('ValueDecodeError') as (e: unknown) => e is ValueDecodeError;

/** A key's bytes could not be turned into the topic's key type. */
export class KeyDecodeError extends MephistoError implements RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly schemaId: number | undefined;
  readonly reason: string;
  constructor(
    where: RecordLocation & { schemaId?: number | undefined },
    reason: string,
    options: MephistoErrorOptions = {},
  ) {
    const id = where.schemaId === undefined ? '' : ` (writer schema id ${where.schemaId})`;
    super(
      `Cannot decode key at ${where.topic}[${where.partition}]@${where.offset}${id}: ${reason}`,
      { ...options, code: 'KEY_DECODE' },
    );
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
    this.schemaId = where.schemaId;
    this.reason = reason;
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
