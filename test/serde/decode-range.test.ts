import { describe, expect, it } from 'vitest';
import { avroSchema, json, model, string } from '../../src/serde/codecs.js';
import type { Codec } from '../../src/serde/codec.js';
import { Click } from '../../generated/com/acme/clicks/Click.js';
import { thrown } from '../errors.js';

const click = (i: number) =>
  new Click({ url: `https://shop.example/p/${i}`, userId: `user-${i}`, sessionId: 's', timestamp: new Date(1_700_000_000_000 + i), device: 'MOBILE', durationMs: i });

/** The encodings packed into one buffer (as the embedded broker's log holds them), with ranges. */
function packed(parts: readonly Buffer[]): { bytes: Buffer; ranges: [number, number][] } {
  const ranges: [number, number][] = [];
  let end = 0;
  for (const part of parts) ranges.push([end, (end += part.length)]);
  return { bytes: Buffer.concat(parts), ranges };
}

describe('decodeRange: decoding where the bytes lie', () => {
  const cases: [string, Codec<any>, unknown[]][] = [
    ['model', model(Click), [click(1), click(2), click(3)]],
    ['avroSchema', avroSchema<number>('long'), [0, -1, 2 ** 40]],
    ['string', string, ['', 'héllo', 'k']],
    ['json', json<unknown>(), [{ a: 1 }, [1, 2], 'x']],
  ];
  for (const [name, codec, values] of cases) {
    it(`${name}: the same values as decode of each range's view`, () => {
      const { bytes, ranges } = packed(values.map((v) => Buffer.from(codec.encode(v))));
      ranges.forEach(([start, end], i) => {
        expect(codec.decodeRange!(bytes, start, end)).toEqual(codec.decode(bytes.subarray(start, end)));
        expect(codec.decodeRange!(bytes, start, end)).toEqual(values[i]);
      });
    });
  }

  it('a truncated record followed by a sound one fails with the error decode gives its view', () => {
    const whole = Click.type.toBuffer(click(1));
    const truncated = whole.subarray(0, whole.length - 3);
    // in place, avsc would read on into the next record's bytes: that must not pass for a value
    const { bytes, ranges } = packed([truncated, Click.type.toBuffer(click(2))]);
    const codec = model(Click);
    const [start, end] = ranges[0]!;
    const inPlace = thrown(() => codec.decodeRange!(bytes, start, end));
    const view = thrown(() => codec.decode(bytes.subarray(start, end)));
    expect(inPlace.name).toBe('ModelDecodeError');
    expect(inPlace.message).toBe(view.message);
    expect(codec.decodeRange!(bytes, ...ranges[1]!)).toEqual(click(2));
  });

  it('a record with bytes to spare fails as trailing data, as its view does', () => {
    const { bytes } = packed([Click.type.toBuffer(click(1)), Buffer.from([0, 0])]);
    const codec = model(Click);
    const inPlace = thrown(() => codec.decodeRange!(bytes, 0, bytes.length));
    expect(inPlace.message).toBe(thrown(() => codec.decode(bytes)).message);
    expect(inPlace.message).toContain('trailing');
    const long = avroSchema<number>('long');
    expect(thrown(() => long.decodeRange!(Buffer.from([2, 4]), 0, 2)).message).toBe(thrown(() => long.decode(Buffer.from([2, 4]))).message);
  });
});
