import avro from 'avsc';
import type { ModelClass } from '../avro/model.js';
import { decodeValueRange, NOT_IN_RANGE, readRange } from '../avro/runtime.js';
import { encodeAvro } from './avro-encode.js';
import type { AvroSchemaJSON, Codec } from './codec.js';

/**
 * The built-in codecs that topic bindings use for keys and values. Generated bindings call these;
 * users may call them for hand-written bindings too.
 */

/** UTF-8 text, the usual encoding of Kafka keys. */
export const string: Codec<string> = Object.freeze({
  name: 'string',
  encode: (value: string) => Buffer.from(value, 'utf8'),
  decode: (buffer: Buffer) => buffer.toString('utf8'),
  decodeRange: (bytes: Buffer, start: number, end: number) => bytes.toString('utf8', start, end),
});

/** Raw bytes, passed through untouched. */
export const bytes: Codec<Buffer> = Object.freeze({
  name: 'bytes',
  encode: (value: Buffer) => value,
  decode: (buffer: Buffer) => buffer,
});

/** JSON text; the type parameter is trusted, not checked. */
export function json<T>(): Codec<T> {
  return Object.freeze({
    name: 'json',
    encode: (value: T) => Buffer.from(JSON.stringify(value), 'utf8'),
    decode: (buffer: Buffer) => JSON.parse(buffer.toString('utf8')) as T,
    decodeRange: (bytes: Buffer, start: number, end: number) => JSON.parse(bytes.toString('utf8', start, end)) as T,
  });
}

/** Any Avro schema through avsc; used for primitive Avro keys (`"long"`, `"int"`) and the like. */
export function avroSchema<T>(schema: AvroSchemaJSON, name = typeof schema === 'string' ? `avro:${schema}` : 'avro'): Codec<T> {
  const type = avro.Type.forSchema(schema as avro.Schema);
  return Object.freeze({
    name,
    encode: (value: T) => encodeAvro(type, value),
    decode: (buffer: Buffer) => type.fromBuffer(buffer) as T,
    decodeRange: (bytes: Buffer, start: number, end: number) => {
      const value = readRange(type, bytes, start, end);
      return (value !== NOT_IN_RANGE ? value : type.fromBuffer(bytes.subarray(start, end))) as T;
    },
    avro: Object.freeze({ schema, type }),
  });
}

/** A generated record class: decodes into instances of that class, all the way down. */
export function model<TModel>(modelClass: ModelClass<TModel>): Codec<TModel> {
  const { type } = modelClass;
  return Object.freeze({
    name: modelClass.fullName,
    encode: (value: TModel) => encodeAvro(type, value),
    decode: (buffer: Buffer) => modelClass.decode(buffer),
    decodeRange: (bytes: Buffer, start: number, end: number) => decodeValueRange<TModel>(type, bytes, start, end),
    avro: Object.freeze({ schema: modelClass.schema, type }),
  });
}
