import type { Codec } from './codec.js';

/**
 * How a topic's keys or values look on the wire. Without a schema registry that is the codec's own
 * bytes; with one, Avro codecs are written in the Confluent wire format (magic byte 0, a 4-byte
 * big-endian schema id, the Avro body) and read back by resolving the writer's schema against the
 * generated reader class.
 *
 * `prepare` does the slow, asynchronous work once (registering the schema, learning its id), so
 * that encoding on the hot path is synchronous.
 */
export interface WireFormat {
  /**
   * `use` says what the codec is for: `'write'` (the default) may register the schema (a
   * producer's codec); `'read'` never changes the registry (a consumer decodes by the writer's
   * id in each record), and its codec refuses to encode.
   */
  prepare<T>(topic: string, part: 'key' | 'value', codec: Codec<T>, use?: WireUse): Promise<WireCodec<T>>;
}

export type WireUse = 'read' | 'write';

export interface WireCodec<T> {
  encode(value: T): Buffer;
  /**
   * Synchronous when the writer schema is already known (the hot path); a promise when it must
   * first be fetched from the registry. Throws (or rejects) on bytes that cannot be decoded, with
   * the reason and, when known, the writer schema id in a `schemaId` property.
   */
  decode(buffer: Buffer): T | Promise<T>;
  /** Optional: `decode` of `bytes[start, end)` without a view of them (see `Codec.decodeRange`). */
  decodeRange?(bytes: Buffer, start: number, end: number): T | Promise<T>;
  /** Optional: `encode` into `target` at `offset` (see `Codec.encodeInto`). */
  encodeInto?(value: T, target: Buffer, offset: number): number;
}

/** No registry: the codec's own bytes, both ways. */
export const plainWireFormat: WireFormat = Object.freeze({
  async prepare<T>(_topic: string, _part: 'key' | 'value', codec: Codec<T>, _use?: WireUse): Promise<WireCodec<T>> {
    return codec;
  },
});
