import avro from 'avsc';
import type { ModelClass } from '../avro/model.js';
import { decodeRangeOr } from '../avro/runtime.js';
import { encodeAvro, encodeAvroInto } from './avro-encode.js';
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
  encodeInto: (value: string, target: Buffer, offset: number) => {
    const room = target.length - offset;
    // a UTF-16 code unit takes at most 3 bytes: measure only when that may not fit
    if (value.length * 3 > room) {
      const length = Buffer.byteLength(value, 'utf8');
      if (length > room) return room - length;
    }
    return offset + target.write(value, offset, 'utf8');
  },
});

/** Raw bytes, passed through untouched. */
export const bytes: Codec<Buffer> = Object.freeze({
  name: 'bytes',
  encode: (value: Buffer) => value,
  decode: (buffer: Buffer) => buffer,
  encodeInto: (value: Buffer, target: Buffer, offset: number) => {
    const room = target.length - offset;
    if (value.length > room) return room - value.length;
    target.set(value, offset);
    return offset + value.length;
  },
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
  const decode = (buffer: Buffer) => type.fromBuffer(buffer) as T;
  return Object.freeze({
    name,
    encode: (value: T) => encodeAvro(type, value),
    encodeInto: (value: T, target: Buffer, offset: number) => encodeAvroInto(type, value, target, offset),
    decode,
    decodeRange: (bytes: Buffer, start: number, end: number) => decodeRangeOr(type, bytes, start, end, decode),
    avro: Object.freeze({ schema, type }),
  });
}

/** A generated record class: decodes into instances of that class, all the way down. */
export function model<TModel>(modelClass: ModelClass<TModel>): Codec<TModel> {
  const { type } = modelClass;
  const decode = (buffer: Buffer) => modelClass.decode(buffer);
  return Object.freeze({
    name: modelClass.fullName,
    encode: (value: TModel) => encodeAvro(type, value),
    encodeInto: (value: TModel, target: Buffer, offset: number) => encodeAvroInto(type, value, target, offset),
    decode,
    decodeRange: (bytes: Buffer, start: number, end: number) => decodeRangeOr(type, bytes, start, end, decode),
    avro: Object.freeze({ schema: modelClass.schema, type }),
  });
}
