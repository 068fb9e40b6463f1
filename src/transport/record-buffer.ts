/**
 * Records to produce to one topic, their keys and values encoded into one growing buffer.
 *
 * The runtime's send path writes each record straight into the buffer (`writeKey`, `writeValue`,
 * `endRecord`): no Buffer view and no record object per send, which cost more than encoding a
 * small value (a view alone is ~60 ns here). A driver that can take the buffer whole
 * (`Producer.sendBuffered`: the embedded broker keeps it as storage) never makes per-record
 * objects; any other driver gets `toProducerRecords()`, views of the same bytes.
 *
 * Once handed to a producer, a buffer is never written again (the sender starts a new one), so a
 * driver may keep its bytes.
 */
import type { ProducerRecord, RecordHeaders } from './types.js';

/** What a record buffer encodes with (a wire codec): `encodeInto` when it can write in place. */
export interface RecordEncoder<T> {
  encode(value: T): Buffer;
  /**
   * Optional: writes the encoding of `value` into `target` at `offset` and returns its end; when
   * `target` has too little room, returns a negative number whose magnitude is at least the bytes
   * missing (the caller grows the target and calls again). Throws as `encode` does.
   */
  encodeInto?(value: T, target: Buffer, offset: number): number;
}

/** Fields per record in the span table: key start, key end, value start, value end (-1 start: null). */
const SPAN_FIELDS = 4;
const NULL_PART = -1;
const MIN_BYTES = 1024;

export class RecordBuffer {
  #bytes: Buffer;
  #used = 0;
  #spans: Int32Array;
  /** Per record; allocated on first use (most records have no headers, partition or timestamp). */
  #headers: (RecordHeaders | undefined)[] | undefined;
  #partitions: (number | undefined)[] | undefined;
  #timestamps: (number | undefined)[] | undefined;
  #count = 0;
  // The record being written: where its bytes start, and its parts' spans.
  #recordStart = 0;
  #keyStart = NULL_PART;
  #keyEnd = NULL_PART;
  #valueStart = NULL_PART;
  #valueEnd = NULL_PART;

  constructor(
    readonly topic: string,
    /** Expected bytes and records (the last batch's, for one topic): a buffer sized to them seldom grows. */
    sizeHint = 0,
    countHint = 0,
  ) {
    this.#bytes = Buffer.allocUnsafeSlow(Math.max(MIN_BYTES, sizeHint + (sizeHint >> 3)));
    this.#spans = new Int32Array(Math.max(64, countHint + (countHint >> 3)) * SPAN_FIELDS);
  }

  /** Records ended so far. */
  get count(): number {
    return this.#count;
  }

  /** Bytes written so far. */
  get used(): number {
    return this.#used;
  }

  /** The buffer the records' bytes lie in (`[0, used)` of it). */
  get bytes(): Buffer {
    return this.#bytes;
  }

  /** Encodes the key of the record being written (throws what the encoder throws; see `dropRecord`). */
  writeKey<T>(encoder: RecordEncoder<T>, key: T): void {
    const start = this.#used;
    this.#keyEnd = this.#write(encoder, key);
    this.#keyStart = start;
  }

  /** Encodes the value of the record being written. */
  writeValue<T>(encoder: RecordEncoder<T>, value: T): void {
    const start = this.#used;
    this.#valueEnd = this.#write(encoder, value);
    this.#valueStart = start;
  }

  /** Ends the record being written; a part not written is null. */
  endRecord(headers: RecordHeaders | undefined, partition?: number, timestamp?: number): void {
    const n = this.#count;
    let spans = this.#spans;
    if ((n + 1) * SPAN_FIELDS > spans.length) {
      spans = new Int32Array(spans.length * 2);
      spans.set(this.#spans);
      this.#spans = spans;
    }
    const at = n * SPAN_FIELDS;
    spans[at] = this.#keyStart;
    spans[at + 1] = this.#keyEnd;
    spans[at + 2] = this.#valueStart;
    spans[at + 3] = this.#valueEnd;
    if (headers !== undefined) (this.#headers ??= [])[n] = headers;
    if (partition !== undefined) (this.#partitions ??= [])[n] = partition;
    if (timestamp !== undefined) (this.#timestamps ??= [])[n] = timestamp;
    this.#count = n + 1;
    this.#openNext();
  }

  /** Forgets the record being written (its key or value failed to encode): its bytes are reused. */
  dropRecord(): void {
    this.#used = this.#recordStart;
    this.#openNext();
  }

  /** Adds a record whose key and value are bytes already (copied in). */
  addRecord(record: ProducerRecord): void {
    if (record.key !== null) this.#copyKey(record.key);
    if (record.value !== null) this.#copyValue(record.value);
    this.endRecord(record.headers, record.partition, record.timestamp);
  }

  #copyKey(bytes: Buffer): void {
    this.#keyStart = this.#used;
    this.#keyEnd = this.#copyIn(bytes);
  }

  #copyValue(bytes: Buffer): void {
    this.#valueStart = this.#used;
    this.#valueEnd = this.#copyIn(bytes);
  }

  #openNext(): void {
    this.#recordStart = this.#used;
    this.#keyStart = this.#keyEnd = this.#valueStart = this.#valueEnd = NULL_PART;
  }

  /** Encodes `value` at the end of the bytes; returns its end (the new `used`). */
  #write<T>(encoder: RecordEncoder<T>, value: T): number {
    if (encoder.encodeInto === undefined) return this.#copyIn(encoder.encode(value));
    let end = encoder.encodeInto(value, this.#bytes, this.#used);
    if (end < 0) {
      // -end bytes were missing past the buffer's end
      this.#grow(this.#bytes.length - end);
      end = encoder.encodeInto(value, this.#bytes, this.#used);
      if (end < 0) throw new Error(`encodeInto still missed ${-end} bytes after the buffer grew by what it said was missing`);
    }
    this.#used = end;
    return end;
  }

  #copyIn(bytes: Buffer): number {
    const length = bytes.length;
    if (this.#bytes.length - this.#used < length) this.#grow(this.#used + length);
    this.#bytes.set(bytes, this.#used);
    return (this.#used += length);
  }

  /** A buffer of at least `size` bytes (at least twice the old one), holding what was written. */
  #grow(size: number): void {
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#bytes.length * 2, size));
    this.#bytes.copy(grown, 0, 0, this.#used);
    this.#bytes = grown;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading, for drivers

  /** Start of record `i`'s key in `bytes`; -1 for a null key. */
  keyStart(i: number): number {
    return this.#spans[i * SPAN_FIELDS]!;
  }

  keyEnd(i: number): number {
    return this.#spans[i * SPAN_FIELDS + 1]!;
  }

  /** Start of record `i`'s value in `bytes`; -1 for a null value. */
  valueStart(i: number): number {
    return this.#spans[i * SPAN_FIELDS + 2]!;
  }

  valueEnd(i: number): number {
    return this.#spans[i * SPAN_FIELDS + 3]!;
  }

  headersAt(i: number): RecordHeaders | undefined {
    return this.#headers?.[i];
  }

  /** The explicit partition of record `i`, if it named one. */
  partitionAt(i: number): number | undefined {
    return this.#partitions?.[i];
  }

  /** The explicit timestamp of record `i`, if it had one. */
  timestampAt(i: number): number | undefined {
    return this.#timestamps?.[i];
  }

  /** The records as producer records, keys and values as views of `bytes`. */
  toProducerRecords(): ProducerRecord[] {
    const bytes = this.#bytes;
    const out: ProducerRecord[] = new Array(this.#count);
    for (let i = 0; i < this.#count; i++) {
      const keyStart = this.keyStart(i);
      const valueStart = this.valueStart(i);
      const key = keyStart === NULL_PART ? null : bytes.subarray(keyStart, this.keyEnd(i));
      const value = valueStart === NULL_PART ? null : bytes.subarray(valueStart, this.valueEnd(i));
      const headers = this.headersAt(i);
      const partition = this.partitionAt(i);
      const timestamp = this.timestampAt(i);
      out[i] = partition === undefined && timestamp === undefined ? { key, value, headers } : { key, value, headers, partition, timestamp };
    }
    return out;
  }
}
