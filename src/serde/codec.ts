import type { Type } from 'avsc';

/** An Avro schema as JSON (what a `.avsc` file or a registry holds). */
export type AvroSchemaJSON =
  | string
  | readonly AvroSchemaJSON[]
  | { readonly type: AvroSchemaJSON; readonly [attribute: string]: unknown };

/** What the registry layer needs to frame, register and resolve an Avro-typed value. */
export interface AvroCodecInfo {
  /** The full, self-contained schema, as a registry would store it. */
  readonly schema: AvroSchemaJSON;
  /** The reader type; decoding through it yields the generated classes. */
  readonly type: Type;
}

/**
 * Turns values of one type into bytes and back. Topic bindings carry one for the key and one for
 * the value; the transport only ever sees bytes.
 */
export interface Codec<T> {
  /** A short name for errors and docs: `string`, `bytes`, `avro:long`, `com.acme.Order`. */
  readonly name: string;
  encode(value: T): Buffer;
  /** Throws on bytes that are not a valid encoding (truncated, trailing data, bad tag). */
  decode(buffer: Buffer): T;
  /**
   * Optional: decodes the bytes `bytes[start, end)` where they lie, with the same result and
   * errors as `decode(bytes.subarray(start, end))`. Transports that keep records in larger
   * buffers (the embedded broker's log) use it to skip making a view per record, which costs
   * more than decoding a small record's fields.
   */
  decodeRange?(bytes: Buffer, start: number, end: number): T;
  /**
   * Optional: `encode` into `target` at `offset`, with the contract of
   * `RecordEncoder.encodeInto` (src/transport/record-buffer.ts); the send path encodes into its
   * batch buffer with it, without a Buffer per value.
   */
  encodeInto?(value: T, target: Buffer, offset: number): number;
  /** Present when the bytes are Avro, so the registry layer can frame and resolve them. */
  readonly avro?: AvroCodecInfo;
}

export type InferCodec<TCodec> = TCodec extends Codec<infer T> ? T : never;
