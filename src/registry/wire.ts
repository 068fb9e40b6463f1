import type { Resolver, Type } from 'avsc';
import { ConfigError, isRegistryError, MephistoError, WireDecodeError } from '../errors.js';
import { NOT_IN_RANGE, readRange } from '../avro/runtime.js';
import { encodeAvro, encodeAvroInto } from '../serde/avro-encode.js';
import type { Codec } from '../serde/codec.js';
import type { WireCodec, WireFormat, WireUse } from '../serde/wire.js';
import { explainIncompatibility } from './compatibility.js';
import { parseAvro, stableJson } from './schema.js';
import { subjectNameStrategy, type SubjectNameStrategyOption } from './strategy.js';
import type { SchemaRegistry } from './types.js';

/** Confluent framing: magic byte 0, then the schema id as a 4-byte big-endian integer. */
export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

export interface RegistryWireFormatOptions {
  /** Subject of value schemas: `'topic'` (default, `<topic>-value`), `'record'`, `'topic-record'` or a function. */
  readonly subjectNameStrategy?: SubjectNameStrategyOption;
  /** Subject of key schemas; `'topic'` (`<topic>-key`) by default. */
  readonly keySubjectNameStrategy?: SubjectNameStrategyOption;
  /**
   * Register the codec's schema when the subject does not hold it yet (default true). With false
   * the schema must already be registered: `prepare` looks it up and fails when it is missing,
   * as for producers that must not change a managed registry.
   */
  readonly autoRegister?: boolean;
  /**
   * How long to keep trying to fetch a writer schema while the registry is unreachable or
   * failing (5xx), in milliseconds (default 30 s), before the record fails to decode. An unknown
   * id (404) fails at once.
   */
  readonly fetchRetryMs?: number;
}

/** Writes a schema id and body in the Confluent wire format. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_LENGTH);
  return out;
}

/** Reads the schema id of framed bytes; throws a `WireDecodeError` when they are not framed. */
export function readSchemaId(buffer: Buffer): number {
  if (buffer.length < HEADER_LENGTH) {
    throw new WireDecodeError(
      `truncated header: ${buffer.length} byte(s), the Confluent wire format needs at least ${HEADER_LENGTH} (magic byte and schema id)`,
    );
  }
  if (buffer[0] !== MAGIC_BYTE) {
    throw new WireDecodeError(
      `wrong magic byte ${buffer[0]}, expected ${MAGIC_BYTE}: the bytes were not written in the Confluent wire format (by a producer without a schema registry?)`,
    );
  }
  return buffer.readUInt32BE(1);
}

/**
 * The Confluent wire format over a schema registry. Avro codecs are framed with their registered
 * schema id; other codecs (strings, JSON, bytes) pass through untouched. Decoding reads the
 * writer's id: the reader's own id decodes directly; any other id fetches the writer schema once
 * (concurrent fetches of one id share one request) and resolves it against the reader type, so
 * data written with an older or newer compatible schema decodes into the current model.
 */
export function registryWireFormat(registry: SchemaRegistry, options: RegistryWireFormatOptions = {}): WireFormat {
  const valueStrategy = subjectNameStrategy(options.subjectNameStrategy);
  const keyStrategy = subjectNameStrategy(options.keySubjectNameStrategy);
  const autoRegister = options.autoRegister ?? true;
  const writerTypes = new WriterTypeCache(registry, options.fetchRetryMs ?? 30_000);
  const ownIds = new Map<string, Promise<number>>();

  const ownId = async (subject: string, part: 'key' | 'value', topic: string, codec: Codec<unknown>): Promise<number> => {
    const schema = codec.avro!.schema;
    if (autoRegister) return (await registry.register(subject, schema)).id;
    const found = await registry.lookup(subject, schema);
    if (!found) {
      throw new MephistoError(
        `The ${part} schema ${codec.name} of topic ${topic} is not registered under subject ${subject}, and autoRegister is off: register it (mephisto schemas push) or turn autoRegister on`,
        { code: 'SCHEMA_NOT_REGISTERED' },
      );
    }
    return found.id;
  };

  /** The reader's own id when the subject holds its schema already (a lookup: nothing registered). */
  const readId = async (subject: string, schema: Codec<unknown>['avro'] & object): Promise<number | undefined> => {
    return (await registry.lookup(subject, schema.schema))?.id;
  };

  return {
    async prepare<T>(topic: string, part: 'key' | 'value', codec: Codec<T>, use: WireUse = 'write'): Promise<WireCodec<T>> {
      if (part !== 'key' && part !== 'value') {
        throw new ConfigError('part', `expected 'key' or 'value' for topic ${topic}, got ${JSON.stringify(part)}`);
      }
      const avroInfo = codec.avro;
      if (!avroInfo) return codec;
      const subject = (part === 'key' ? keyStrategy : valueStrategy)(topic, part, avroInfo.schema);
      // One registration (or lookup) per subject and schema, however many streams prepare it.
      const key = `${subject}\u0000${stableJson(avroInfo.schema)}`;
      let id = ownIds.get(key);
      if (id === undefined && use === 'read') {
        // A reader registers nothing: its own id, when the subject holds it, only lets records
        // written with it decode without resolution; any other id resolves as usual.
        const found = await readId(subject, avroInfo);
        return new RegistryWireCodec(codec, avroInfo.type, found, writerTypes, part, { topic, subject });
      }
      if (id === undefined) {
        id = ownId(subject, part, topic, codec);
        ownIds.set(key, id);
        id.catch(() => ownIds.delete(key));
      }
      return new RegistryWireCodec(codec, avroInfo.type, await id, writerTypes, part, { topic, subject });
    },
  };
}

/** Writer types by schema id, fetched once each; a pending fetch is shared by every caller. */
class WriterTypeCache {
  private readonly types = new Map<number, Type>();
  private readonly pending = new Map<number, Promise<Type>>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly retryMs: number,
  ) {}

  get(id: number): Type | undefined {
    return this.types.get(id);
  }

  /**
   * One attempt: the writer's schema JSON (references inlined), parsed with mephisto's logical
   * types, so that resolving it against the reader refuses what would decode wrongly (a decimal
   * of another scale read as bytes gives another number). A driver's own writer types (avsc's,
   * without those logical types) are not used for that reason.
   */
  private attempt(id: number): Promise<Type> {
    return this.registry.getById(id).then((schema) => parseAvro(schema));
  }

  /** Retries while the registry is away or failing: a record must not be dead-lettered for that. */
  private async withRetries(id: number): Promise<Type> {
    const deadline = Date.now() + this.retryMs;
    for (let wait = 200; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        return await this.attempt(id);
      } catch (error) {
        // no answer, a server error, a timeout or rate limiting: worth asking again
        const transient = isRegistryError(error) && (error.status === undefined || error.status >= 500 || error.status === 408 || error.status === 429);
        if (!transient || Date.now() + wait > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  fetch(id: number): Promise<Type> {
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    const request = this.withRetries(id)
      .then((type) => {
        this.types.set(id, type);
        return type;
      })
      .catch((error: unknown) => {
        if (isRegistryError(error) && error.status === 404) {
          throw new WireDecodeError(`unknown schema id ${id}: the registry does not hold it (written against another registry, or corrupt bytes)`, id, { cause: error });
        }
        // the registry's answer was not about this id (credentials, rate limits, an outage)
        const unavailable = isRegistryError(error);
        throw new WireDecodeError(`cannot fetch writer schema id ${id}: ${(error as Error).message}`, id, { cause: error, registryUnavailable: unavailable });
      })
      .finally(() => this.pending.delete(id));
    this.pending.set(id, request);
    return request;
  }
}

class RegistryWireCodec<T> implements WireCodec<T> {
  /** Resolvers by writer id; an Error when that writer cannot be read (checked once). */
  private readonly resolvers = new Map<number, Resolver | WireDecodeError>();

  /** The reader's own schema id; -1 when prepared for reading and the subject does not hold it. */
  readonly schemaId: number;

  constructor(
    private readonly codec: Codec<T>,
    private readonly readerType: Type,
    /** Undefined: prepared for reading only, and its schema is not registered (it cannot encode). */
    ownId: number | undefined,
    private readonly writerTypes: WriterTypeCache,
    private readonly part: 'key' | 'value',
    private readonly where: { readonly topic: string; readonly subject: string },
  ) {
    this.readerName = readerType.name ?? codec.name;
    this.schemaId = ownId ?? -1;
  }

  /** A codec prepared for reading whose schema is not registered has no id to write with. */
  private assertWritable(): void {
    if (this.schemaId < 0) {
      throw new MephistoError(
        `The ${this.part} codec of topic ${this.where.topic} was prepared for reading only, and subject ${this.where.subject} does not hold its schema: prepare it for writing (it registers the schema) before encoding`,
        { code: 'SCHEMA_NOT_REGISTERED' },
      );
    }
  }

  /** The reader's Avro full name (or the codec's name), for messages. */
  private readonly readerName: string;

  encode(value: T): Buffer {
    this.assertWritable();
    // Header and Avro body written straight into the shared encoding slab (src/serde/avro-encode.ts);
    // any failure is left to the codec, whose error names the fields that are wrong.
    try {
      return encodeAvro(this.readerType, value, this.schemaId);
    } catch {
      return frame(this.schemaId, this.codec.encode(value));
    }
  }

  /** `encode` into `target` at `offset` (see `Codec.encodeInto`): header and body, no Buffer. */
  encodeInto(value: T, target: Buffer, offset: number): number {
    this.assertWritable();
    try {
      return encodeAvroInto(this.readerType, value, target, offset, this.schemaId);
    } catch {
      // the codec's error names the fields that are wrong (or, should it encode, its bytes are copied)
      const framed = this.encode(value);
      const room = target.length - offset;
      if (framed.length > room) return room - framed.length;
      target.set(framed, offset);
      return offset + framed.length;
    }
  }

  decode(buffer: Buffer): T | Promise<T> {
    try {
      const decoded = this.decodeFramed(buffer);
      return decoded instanceof Promise ? decoded.catch((error: unknown) => Promise.reject(this.withPart(error))) : decoded;
    } catch (error) {
      throw this.withPart(error);
    }
  }

  /**
   * `decode` of `bytes[start, end)` where they lie: in place when the header names the reader's own
   * schema and the body reads to exactly `end`; anything else (another writer schema, a bad
   * header or body) decodes a view, for the same result and the same errors as `decode`.
   */
  decodeRange(bytes: Buffer, start: number, end: number): T | Promise<T> {
    if (end - start > HEADER_LENGTH && bytes[start] === MAGIC_BYTE && bytes.readUInt32BE(start + 1) === this.schemaId) {
      const value = readRange(this.readerType, bytes, start + HEADER_LENGTH, end);
      if (value !== NOT_IN_RANGE) return value as T;
    }
    return this.decode(bytes.subarray(start, end));
  }

  /** Says which part of the record failed, for the runtime's Key/ValueDecodeError. */
  private withPart(error: unknown): unknown {
    if (!(error instanceof WireDecodeError) || error.part !== undefined) return error;
    return new WireDecodeError(error.reason, error.schemaId, { part: this.part, registryUnavailable: error.registryUnavailable, ...(error.cause === undefined ? {} : { cause: error.cause }) });
  }

  private decodeFramed(buffer: Buffer): T | Promise<T> {
    const id = readSchemaId(buffer);
    if (id === this.schemaId) return this.decodeBody(id, buffer, undefined);
    const resolver = this.resolvers.get(id) ?? this.resolverFor(id);
    if (resolver === undefined) {
      return this.writerTypes.fetch(id).then(() => this.decodeResolved(id, buffer));
    }
    return this.decodeBody(id, buffer, resolver);
  }

  private decodeResolved(id: number, buffer: Buffer): T {
    const resolver = this.resolvers.get(id) ?? this.resolverFor(id);
    if (resolver === undefined) throw new WireDecodeError(`writer schema id ${id} vanished from the cache`, id);
    return this.decodeBody(id, buffer, resolver);
  }

  /** Reads the body in place, behind the header (no copy, no slice). */
  private decodeBody(id: number, buffer: Buffer, resolver: Resolver | WireDecodeError | undefined): T {
    if (resolver instanceof WireDecodeError) throw resolver;
    let decoded: { value: unknown; offset: number };
    try {
      decoded = this.readerType.decode(buffer, HEADER_LENGTH, resolver);
    } catch (error) {
      throw this.bodyError(id, buffer, resolver, error);
    }
    if (decoded.offset === -1) throw this.bodyError(id, buffer, resolver, new Error('truncated buffer'));
    if (decoded.offset !== buffer.length) throw this.bodyError(id, buffer, resolver, new Error('trailing data'));
    return decoded.value as T;
  }

  private bodyError(id: number, buffer: Buffer, resolver: Resolver | undefined, error: unknown): WireDecodeError {
    if (resolver === undefined) {
      // The codec's own decode words the problem best (e.g. a long past 2^53 and what to do).
      try {
        this.codec.decode(buffer.subarray(HEADER_LENGTH));
      } catch (codecError) {
        error = codecError;
      }
      return new WireDecodeError(`invalid Avro body for ${this.readerName}: ${(error as Error).message}`, id, { cause: error });
    }
    return new WireDecodeError(`invalid Avro body for writer schema id ${id} read as ${this.readerName}: ${(error as Error).message}`, id, { cause: error });
  }

  /** Builds (and caches) the resolver once the writer type is known; undefined until then. */
  private resolverFor(id: number): Resolver | WireDecodeError | undefined {
    const writer = this.writerTypes.get(id);
    if (!writer) return undefined;
    let resolver: Resolver | WireDecodeError;
    try {
      resolver = this.readerType.createResolver(writer);
    } catch {
      const why = explainIncompatibility(this.readerType, writer);
      resolver = new WireDecodeError(`incompatible writer schema id ${id}: ${this.readerName} cannot read it: ${why.join('; ')}`, id, { part: this.part });
    }
    this.resolvers.set(id, resolver);
    return resolver;
  }
}
