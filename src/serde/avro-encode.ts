/**
 * Avro encoding on the hot path, shared by the plain model codecs (./codecs.ts) and the registry's
 * framed codecs (src/registry/wire.ts).
 *
 * avsc's `type.toBuffer` encodes into its own scratch space and then copies into a fresh
 * `Buffer.alloc`: a zero-filled, unpooled allocation per value, with its own backing store (the
 * GC tracks each one). Here values are encoded straight into a shared slab and handed out as
 * views of it, as Node's own `Buffer.allocUnsafe` pool does for small buffers: no copy, no
 * zero-fill, one backing store per 64 KiB. A slab lives as long as any value cut from it.
 */
import type { Type } from 'avsc';

const SLAB_SIZE = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
/** Where `encodeAvroInto` learns a body's size when the target lacks room even for the header. */
const SCRATCH = Buffer.allocUnsafeSlow(0);
let used = 0;

/** A fresh slab with room for at least `size` bytes (the rest of the old one is abandoned). */
function newSlab(size: number): void {
  slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size));
  used = 0;
}

/**
 * Encodes `value` as `type` into a new Buffer (a view of the shared slab). When `schemaId` is
 * given, the body is preceded by the Confluent header (magic byte 0, 4-byte big-endian id).
 * Throws what avsc throws for a value that does not fit the type (callers that want a detailed
 * error call `type.toBuffer`, or their codec, to get it).
 */
export function encodeAvro(type: Type, value: unknown, schemaId?: number): Buffer {
  const header = schemaId === undefined ? 0 : 5;
  if (slab.length - used < 64) newSlab(0);
  let start = used;
  let end = writeAt(type, value, start, header, schemaId);
  if (end < 0) {
    // Did not fit: avsc returns minus the bytes missing. Encode again into a slab with room.
    const needed = slab.length - start - end;
    newSlab(needed);
    start = 0;
    end = writeAt(type, value, 0, header, schemaId);
  }
  // Keep the next value 8-byte aligned, as Node's pool does.
  used = (end + 7) & ~7;
  return slab.subarray(start, end);
}

function writeAt(type: Type, value: unknown, start: number, header: number, schemaId: number | undefined): number {
  if (header > 0) {
    if (slab.length - start < header) return -header;
    slab[start] = 0;
    slab.writeUInt32BE(schemaId!, start + 1);
  }
  return type.encode(value, slab, start + header);
}

/**
 * Encodes `value` as `type` into `target` at `offset` (after the Confluent header when `schemaId`
 * is given) and returns the end; when `target` has too little room, a negative number: minus the
 * bytes missing, at least (the contract of `RecordEncoder.encodeInto`). Throws what avsc throws.
 */
export function encodeAvroInto(type: Type, value: unknown, target: Buffer, offset: number, schemaId?: number): number {
  if (schemaId === undefined) return type.encode(value, target, offset);
  if (target.length - offset < 5) {
    // no room for the header: learn the body's size from a scratch encoding
    const body = -type.encode(value, SCRATCH, 0);
    return -(5 + body - (target.length - offset));
  }
  target[offset] = 0;
  target.writeUInt32BE(schemaId, offset + 1);
  return type.encode(value, target, offset + 5);
}
