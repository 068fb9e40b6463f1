import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { encodeAvro } from '../../src/serde/avro-encode.js';
import { model } from '../../src/serde/codecs.js';
import { Click } from '../../generated/com/acme/clicks/Click.js';

const record = avro.Type.forSchema({
  type: 'record',
  name: 'Sample',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'text', type: 'string' },
  ],
});

describe('encodeAvro (the shared slab encoder)', () => {
  it('writes the same bytes as avsc toBuffer, and each value keeps its own bytes', () => {
    const values = Array.from({ length: 5000 }, (_, i) => ({ id: i, text: 'x'.repeat(i % 97) }));
    // Enough values to cross several 64 KiB slabs: an overwrite would show as a mismatch.
    const encoded = values.map((v) => encodeAvro(record, v));
    values.forEach((v, i) => {
      expect(encoded[i]!.equals(record.toBuffer(v))).toBe(true);
      expect(record.fromBuffer(encoded[i]!)).toEqual(v);
    });
  });

  it('encodes values larger than a slab', () => {
    const big = { id: 1, text: 'y'.repeat(200_000) };
    const small = encodeAvro(record, { id: 2, text: 'before' });
    const bytes = encodeAvro(record, big);
    expect(bytes.equals(record.toBuffer(big))).toBe(true);
    expect(record.fromBuffer(small)).toEqual({ id: 2, text: 'before' });
  });

  it('prefixes the Confluent header when given a schema id', () => {
    const value = { id: 7, text: 'framed' };
    const framed = encodeAvro(record, value, 0x01020304);
    expect([...framed.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(framed.subarray(5).equals(record.toBuffer(value))).toBe(true);
  });

  it('throws for a value that is not of the type, and the next value is unaffected', () => {
    expect(() => encodeAvro(record, { id: 'not a number', text: 3 })).toThrow();
    const ok = encodeAvro(record, { id: 3, text: 'after' });
    expect(record.fromBuffer(ok)).toEqual({ id: 3, text: 'after' });
  });

  it('backs codecs.model: a generated model round-trips', () => {
    const codec = model(Click);
    const click = new Click({
      url: 'https://shop.example/p/1',
      userId: 'u1',
      sessionId: 's1',
      timestamp: new Date(1_700_000_000_000),
      device: 'MOBILE',
      durationMs: 1200,
    });
    const bytes = codec.encode(click);
    expect(bytes.equals(Click.type.toBuffer(click))).toBe(true);
    expect(codec.decode(bytes)).toEqual(click);
  });
});
