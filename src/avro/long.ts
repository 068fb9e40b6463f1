import avro from 'avsc';

/** How Avro `long` values appear in TypeScript: `number` (an error past 2^53) or `bigint`. */
export type LongMode = 'number' | 'bigint';

const minLong = -(1n << 63n);
const maxLong = (1n << 63n) - 1n;

function readZigZag(bytes: Buffer): bigint {
  let value = 0n;
  let shift = 0n;
  for (const byte of bytes) {
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  }
  return (value >> 1n) ^ -(value & 1n);
}

function writeZigZag(value: bigint): Buffer {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (zigzag > 0x7fn) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  bytes.push(Number(zigzag));
  return Buffer.from(bytes);
}

const isLong = (value: unknown): value is bigint => typeof value === 'bigint' && value >= minLong && value <= maxLong;

/**
 * `long` as `bigint`, every 64-bit value exact. avsc hands us the zig-zag varint bytes
 * (`noUnpack`), which we turn into a bigint directly.
 */
export function createBigintLongType(): avro.Type {
  const frozen = avro.types.LongType.__with(
    {
      fromBuffer: readZigZag,
      toBuffer: writeZigZag,
      fromJSON: (json: unknown) => BigInt(json as string | number),
      toJSON: (value: bigint) => (value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value.toString()),
      isValid: isLong,
      compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
    },
    true,
  );
  // avsc's random long is a number and `__with` freezes its result: a child object hands out
  // bigints (used by property tests) and inherits everything else.
  return Object.create(frozen, {
    random: {
      value: () => BigInt(Math.floor((Math.random() - 0.5) * 2 ** 53)) * BigInt(1 + Math.floor(Math.random() * 1024)),
    },
  }) as avro.Type;
}
