import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { AvroTypes, Decimal } from '../../src/avro/index.js';
import { isConfigError, isWireDecodeError, type WireDecodeError } from '../../src/errors.js';
import { frame, MemoryRegistry, openRegistry, readSchemaId, registryWireFormat } from '../../src/registry/index.js';
import type { SchemaRegistry } from '../../src/registry/types.js';
import { codecs, type Codec, type WireCodec } from '../../src/serde/index.js';
import { rejection } from '../errors.js';

const ns = 'com.acme';
const click = (fields: unknown[], extra: object = {}) => ({ type: 'record', name: 'Click', namespace: ns, fields, ...extra });

interface Click {
  user: string;
  count: number;
  page?: string;
}

const clickV1 = click([
  { name: 'user', type: 'string' },
  { name: 'count', type: 'int' },
]);

function avro<T>(schema: unknown): Codec<T> {
  return codecs.avroSchema<T>(schema as never);
}

/** Counts writer-schema fetches (getById or getWriterType): the wire format must fetch each id once. */
function counting(registry: SchemaRegistry): SchemaRegistry & { fetches: number[] } {
  const fetches: number[] = [];
  return new Proxy(registry, {
    get(target, property) {
      if (property === 'fetches') return fetches;
      if (property === 'getById' || property === 'getWriterType') {
        const fetch = Reflect.get(target, property, target) as ((id: number) => Promise<unknown>) | undefined;
        return fetch && ((id: number) => {
          fetches.push(id);
          return fetch.call(target, id);
        });
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SchemaRegistry & { fetches: number[] };
}

async function decodeError(codec: WireCodec<unknown>, bytes: Buffer): Promise<WireDecodeError> {
  try {
    await codec.decode(bytes);
  } catch (error) {
    expect(isWireDecodeError(error)).toBe(true);
    return error as WireDecodeError;
  }
  throw new Error('expected the decode to fail');
}

/** Writes `value` with `writerSchema` and reads it back through a reader codec for `readerSchema`. */
async function evolve(writerSchema: unknown, value: unknown, readerSchema: unknown): Promise<unknown> {
  const registry = new MemoryRegistry();
  await registry.setCompatibility('NONE');
  const wire = registryWireFormat(registry);
  const writer = await wire.prepare('evolving', 'value', avro(writerSchema));
  const reader = await wire.prepare('evolving', 'value', avro(readerSchema));
  return reader.decode(writer.encode(value));
}

describe('Confluent framing', () => {
  it('writes magic byte 0, the schema id big-endian, then the Avro body', async () => {
    const registry = new MemoryRegistry();
    for (let i = 0; i < 5; i++) await registry.register(`filler-${i}`, { type: 'fixed', name: `F${i}`, size: 1 });
    const codec = avro<Click>(clickV1);
    const wire = await registryWireFormat(registry).prepare('clicks', 'value', codec);
    const bytes = wire.encode({ user: 'ada', count: 3 });
    const { id } = await registry.getLatest('clicks-value');
    expect(id).toBe(6);
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 6]);
    expect(bytes.subarray(5)).toEqual(codec.encode({ user: 'ada', count: 3 }));
    expect(readSchemaId(frame(0x01020304, Buffer.alloc(0)))).toBe(0x01020304);
  });

  it('frames values of any size, and leaves invalid values to the codec, with the codec error', async () => {
    const codec = avro<Click>(clickV1);
    const wire = await registryWireFormat(new MemoryRegistry()).prepare('clicks', 'value', codec);
    for (const size of [10, 5000, 100_000, 3]) {
      const value = { user: 'x'.repeat(size), count: size };
      const bytes = wire.encode(value);
      expect(bytes.subarray(5)).toEqual(codec.encode(value));
      expect(wire.decode(bytes)).toEqual(value);
    }
    const invalid = { user: 'a', count: 'many' } as never;
    const codecError = (() => {
      try {
        codec.encode(invalid);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();
    expect(() => wire.encode(invalid)).toThrow(codecError);
  });

  it('registers the value schema under <topic>-value and a key schema under <topic>-key', async () => {
    const registry = new MemoryRegistry();
    const wire = registryWireFormat(registry);
    await wire.prepare('clicks', 'value', avro(clickV1));
    const key = await wire.prepare('clicks', 'key', avro<number>('long'));
    expect(await registry.listSubjects()).toEqual(['clicks-key', 'clicks-value']);
    expect(await key.decode(key.encode(42))).toBe(42);
  });

  it('registers a subject and schema once, however many times it is prepared', async () => {
    const registry = new MemoryRegistry();
    const register = vi.spyOn(registry, 'register');
    const wire = registryWireFormat(registry);
    const codecsPrepared = await Promise.all([1, 2, 3].map(() => wire.prepare('clicks', 'value', avro<Click>(clickV1))));
    expect(register).toHaveBeenCalledTimes(1);
    expect(new Set(codecsPrepared.map((c) => readSchemaId(c.encode({ user: 'a', count: 1 })))).size).toBe(1);
    await wire.prepare('other', 'value', avro<Click>(clickV1));
    expect(register).toHaveBeenCalledTimes(2);
  });

  it('passes non-Avro codecs through untouched', async () => {
    const registry = new MemoryRegistry();
    const wire = registryWireFormat(registry);
    expect(await wire.prepare('clicks', 'key', codecs.string)).toBe(codecs.string);
    expect(await wire.prepare('clicks', 'value', codecs.json<{ a: number }>())).toHaveProperty('name', 'json');
    expect(await registry.listSubjects()).toEqual([]);
  });

  it('keeps the codec type', async () => {
    const wire = registryWireFormat(new MemoryRegistry());
    const codec = await wire.prepare('clicks', 'value', avro<Click>(clickV1));
    expectTypeOf(codec).toEqualTypeOf<WireCodec<Click>>();
    expectTypeOf(codec.decode).returns.toEqualTypeOf<Click | Promise<Click>>();
    expectTypeOf(openRegistry('memory://')).toEqualTypeOf<SchemaRegistry>();
    // @ts-expect-error a Click codec does not encode strings
    expect(() => codec.encode('nope')).toThrow();
    // @ts-expect-error only the three strategies by name (or a function)
    expect(() => registryWireFormat(new MemoryRegistry(), { subjectNameStrategy: 'topicName' })).toThrow();
    // @ts-expect-error a strategy function returns the subject name
    registryWireFormat(new MemoryRegistry(), { subjectNameStrategy: () => 42 });
    // @ts-expect-error a topic has keys and values, nothing else
    await expect(wire.prepare('clicks', 'header', avro<Click>(clickV1))).rejects.toThrow();
  });
});

describe('decoding', () => {
  it("decodes the reader's own id synchronously, into the reader type's record class", async () => {
    const codec = avro<Click>(clickV1);
    const wire = await registryWireFormat(new MemoryRegistry()).prepare('clicks', 'value', codec);
    const decoded = wire.decode(wire.encode({ user: 'ada', count: 3 }));
    expect(decoded).not.toBeInstanceOf(Promise);
    expect(decoded).toEqual({ user: 'ada', count: 3 });
    expect(decoded).toBeInstanceOf((codec.avro!.type as unknown as { recordConstructor: new () => unknown }).recordConstructor);
  });

  it('fetches an unknown writer id once, then decodes it synchronously', async () => {
    const memory = new MemoryRegistry();
    const registry = counting(memory);
    const v2 = click([...clickV1.fields, { name: 'page', type: 'string', default: '/' }]);
    const writer = await registryWireFormat(memory).prepare('clicks', 'value', avro(clickV1));
    const readerCodec = avro<Click>(v2);
    const reader = await registryWireFormat(registry).prepare('clicks', 'value', readerCodec);
    const bytes = writer.encode({ user: 'ada', count: 3 });

    const first = reader.decode(bytes);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ user: 'ada', count: 3, page: '/' });
    const second = reader.decode(bytes);
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toBeInstanceOf((readerCodec.avro!.type as unknown as { recordConstructor: new () => unknown }).recordConstructor);
    expect(registry.fetches).toEqual([1]);
  });

  it('shares one fetch among concurrent decodes of one writer id', async () => {
    const memory = new MemoryRegistry();
    const writer = await registryWireFormat(memory).prepare('clicks', 'value', avro(clickV1));
    const registry = counting(memory);
    const reader = await registryWireFormat(registry).prepare('clicks', 'value', avro(click([...clickV1.fields, { name: 'page', type: 'string', default: '/' }])));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reader.decode(writer.encode({ user: `u${i}`, count: i }))));
    expect(results.map((r) => (r as Click).count)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(registry.fetches).toEqual([1]);
  });
});

describe('schema evolution into the current model', () => {
  it('added field with a default', async () => {
    const reader = click([...clickV1.fields, { name: 'page', type: 'string', default: '/home' }]);
    expect(await evolve(clickV1, { user: 'ada', count: 1 }, reader)).toEqual({ user: 'ada', count: 1, page: '/home' });
  });

  it('removed field', async () => {
    const writer = click([...clickV1.fields, { name: 'legacy', type: 'string' }]);
    expect(await evolve(writer, { user: 'ada', count: 1, legacy: 'x' }, clickV1)).toEqual({ user: 'ada', count: 1 });
  });

  it('int promoted to long', async () => {
    const reader = click([{ name: 'user', type: 'string' }, { name: 'count', type: 'long' }]);
    expect(await evolve(clickV1, { user: 'ada', count: 2147483647 }, reader)).toEqual({ user: 'ada', count: 2147483647 });
  });

  it('new enum symbol, read as the enum default', async () => {
    const writer = click([{ name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'BUY', 'REFUND'] } }]);
    const reader = click([{ name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'BUY', 'UNKNOWN'], default: 'UNKNOWN' } }]);
    expect(await evolve(writer, { kind: 'REFUND' }, reader)).toEqual({ kind: 'UNKNOWN' });
    expect(await evolve(writer, { kind: 'BUY' }, reader)).toEqual({ kind: 'BUY' });
  });

  it('field renamed with an alias', async () => {
    const reader = click([{ name: 'userId', type: 'string', aliases: ['user'] }, { name: 'count', type: 'int' }]);
    expect(await evolve(clickV1, { user: 'ada', count: 1 }, reader)).toEqual({ userId: 'ada', count: 1 });
  });

  it('record renamed with an alias', async () => {
    const reader = { type: 'record', name: 'PageClick', namespace: ns, aliases: ['com.acme.Click'], fields: clickV1.fields };
    expect(await evolve(clickV1, { user: 'ada', count: 1 }, reader)).toEqual({ user: 'ada', count: 1 });
  });

  it('newer writer with a field the reader does not know yet (forward)', async () => {
    const writer = click([...clickV1.fields, { name: 'page', type: 'string', default: '/' }]);
    expect(await evolve(writer, { user: 'ada', count: 1, page: '/x' }, clickV1)).toEqual({ user: 'ada', count: 1 });
  });
});

describe('decoding in place (decodeRange: records inside a larger buffer, as the embedded broker keeps them)', () => {
  it("the reader's own id, another writer's id, and bad records: what decode gives their views", async () => {
    const memory = new MemoryRegistry();
    await memory.setCompatibility('NONE');
    const writer = await registryWireFormat(memory).prepare('clicks', 'value', avro(clickV1));
    const reader = await registryWireFormat(memory).prepare('clicks', 'value', avro<Click>(click([...clickV1.fields, { name: 'page', type: 'string', default: '/' }])));
    const own = reader.encode({ user: 'ada', count: 1, page: '/x' });
    const older = writer.encode({ user: 'bob', count: 2 });
    const truncated = reader.encode({ user: 'cy', count: 3, page: '/y' }).subarray(0, 9);
    const parts = [own, older, truncated, own];
    const bytes = Buffer.concat(parts);
    const ranges: [number, number][] = [];
    let end = 0;
    for (const part of parts) ranges.push([end, (end += part.length)]);

    expect(reader.decodeRange!(bytes, ...ranges[0]!)).toEqual({ user: 'ada', count: 1, page: '/x' });
    // another writer schema: resolved, through the registry, as decode does
    expect(await reader.decodeRange!(bytes, ...ranges[1]!)).toEqual({ user: 'bob', count: 2, page: '/' });
    // the truncated body would read on into the next record: it fails as its view fails
    const inPlace = (await rejection(() => reader.decodeRange!(bytes, ...ranges[2]!))) as WireDecodeError;
    const view = await rejection(() => reader.decode(truncated));
    expect(isWireDecodeError(inPlace)).toBe(true);
    expect(inPlace.message).toBe(view.message);
    expect(inPlace.reason).toMatch(/truncated/);
    expect(reader.decodeRange!(bytes, ...ranges[3]!)).toEqual({ user: 'ada', count: 1, page: '/x' });
    // a wrong magic byte and a short header: the same errors as decode
    const bad = Buffer.from([9, 1, 0, 0, 0, 1, 2, 0, 0]);
    expect((await rejection(() => reader.decodeRange!(bad, 1, 7))).message).toBe((await rejection(() => reader.decode(bad.subarray(1, 7)))).message);
    expect(((await rejection(() => reader.decodeRange!(bad, 0, 3))) as WireDecodeError).reason).toMatch(/truncated header: 3 byte/);
  });
});

describe('decode errors carry a reason and the schema id', () => {
  async function setup() {
    const registry = new MemoryRegistry();
    await registry.setCompatibility('NONE');
    const wire = registryWireFormat(registry);
    const reader = await wire.prepare('clicks', 'value', avro<Click>(clickV1));
    return { registry, wire, reader, id: (await registry.getLatest('clicks-value')).id };
  }

  it('wrong magic byte', async () => {
    const { reader } = await setup();
    const error = await decodeError(reader as WireCodec<unknown>, Buffer.from([1, 0, 0, 0, 1, 2]));
    expect(error.reason).toMatch(/wrong magic byte 1, expected 0/);
    expect(error.schemaId).toBeUndefined();
    expect(error.part).toBe('value');
  });

  it('says whether the key or the value failed, sync or async', async () => {
    const { wire } = await setup();
    const key = await wire.prepare('clicks', 'key', avro<number>('long'));
    const sync = await decodeError(key as WireCodec<unknown>, Buffer.from([7]));
    expect(sync.part).toBe('key');
    expect(sync.message).toMatch(/^Cannot decode framed Avro key: truncated header/);
    const async = await decodeError(key as WireCodec<unknown>, frame(999, Buffer.from([2])));
    expect(async.part).toBe('key');
    expect(async.schemaId).toBe(999);
  });

  it('bytes shorter than the header', async () => {
    const { reader } = await setup();
    const error = await decodeError(reader as WireCodec<unknown>, Buffer.from([0, 0, 1]));
    expect(error.reason).toMatch(/truncated header: 3 byte/);
  });

  it('truncated body', async () => {
    const { reader, id } = await setup();
    const bytes = reader.encode({ user: 'ada lovelace', count: 3 });
    const error = await decodeError(reader as WireCodec<unknown>, bytes.subarray(0, bytes.length - 4));
    expect(error.reason).toMatch(/truncated/);
    expect(error.schemaId).toBe(id);
  });

  it('trailing bytes', async () => {
    const { reader, id } = await setup();
    const error = await decodeError(reader as WireCodec<unknown>, Buffer.concat([reader.encode({ user: 'a', count: 1 }), Buffer.from([7, 7])]));
    expect(error.reason).toMatch(/trailing data/);
    expect(error.schemaId).toBe(id);
  });

  it('trailing bytes after a resolved (other) writer', async () => {
    const { wire, reader } = await setup();
    const writer = await wire.prepare('clicks', 'value', avro(click([...clickV1.fields, { name: 'x', type: 'int' }])));
    const bytes = Buffer.concat([writer.encode({ user: 'a', count: 1, x: 2 }), Buffer.from([9])]);
    const error = await decodeError(reader as WireCodec<unknown>, bytes);
    expect(error.reason).toMatch(/trailing data/);
    expect(error.schemaId).toBe(2);
  });

  it('unknown schema id', async () => {
    const { reader } = await setup();
    const error = await decodeError(reader as WireCodec<unknown>, frame(4242, Buffer.from([2, 97, 2])));
    expect(error.schemaId).toBe(4242);
    expect(error.reason).toMatch(/unknown schema id 4242/);
    expect(error.message).toContain('4242');
  });

  it('incompatible writer, explained, and remembered without refetching', async () => {
    const memory = new MemoryRegistry();
    await memory.setCompatibility('NONE');
    const writer = await registryWireFormat(memory).prepare('clicks', 'value', avro(click([{ name: 'user', type: 'int' }, { name: 'count', type: 'int' }])));
    const registry = counting(memory);
    const reader = await registryWireFormat(registry).prepare('clicks', 'value', avro<Click>(clickV1));
    const bytes = writer.encode({ user: 1, count: 2 });
    const first = await decodeError(reader as WireCodec<unknown>, bytes);
    expect(first.reason).toMatch(/incompatible writer schema id 1.*com\.acme\.Click\.user: the writer's int cannot be read as string/);
    expect(first.schemaId).toBe(1);
    const second = await decodeError(reader as WireCodec<unknown>, bytes);
    expect(second.reason).toBe(first.reason);
    expect(registry.fetches).toEqual([1]);
  });

  it('a failed fetch is retried on the next record (the id may have been registered since)', async () => {
    const { registry, reader } = await setup();
    const other = avro(click([...clickV1.fields, { name: 'page', type: 'string', default: '/' }]));
    const bytes = frame(2, other.encode({ user: 'a', count: 1, page: '/p' }));
    await decodeError(reader as WireCodec<unknown>, bytes);
    await registry.register('clicks-value', click([...clickV1.fields, { name: 'page', type: 'string', default: '/' }]));
    expect(await reader.decode(bytes)).toEqual({ user: 'a', count: 1 });
  });
});

describe('registration options', () => {
  it('autoRegister false: looks up the schema and never registers', async () => {
    const registry = new MemoryRegistry();
    const lookupOnly = registryWireFormat(registry, { autoRegister: false });
    await expect(lookupOnly.prepare('clicks', 'value', avro(clickV1))).rejects.toThrow(
      /not registered under subject clicks-value, and autoRegister is off/,
    );
    expect(await registry.listSubjects()).toEqual([]);
    const { id } = await registry.register('clicks-value', clickV1);
    const codec = await lookupOnly.prepare('clicks', 'value', avro<Click>(clickV1));
    expect(readSchemaId(codec.encode({ user: 'a', count: 1 }))).toBe(id);
    expect(await registry.listVersions('clicks-value')).toEqual([1]);
  });

  it('refuses an incompatible schema at prepare, with the explanation', async () => {
    const registry = new MemoryRegistry();
    await registryWireFormat(registry).prepare('clicks', 'value', avro(clickV1));
    await expect(
      registryWireFormat(registry).prepare('clicks', 'value', avro(click([...clickV1.fields, { name: 'page', type: 'string' }]))),
    ).rejects.toThrow(/com\.acme\.Click\.page/);
  });
});

describe('subject name strategies', () => {
  it('record: the full name of the record', async () => {
    const registry = new MemoryRegistry();
    await registryWireFormat(registry, { subjectNameStrategy: 'record' }).prepare('clicks', 'value', avro(clickV1));
    expect(await registry.listSubjects()).toEqual(['com.acme.Click']);
  });

  it('topic-record: <topic>-<full name>', async () => {
    const registry = new MemoryRegistry();
    await registryWireFormat(registry, { subjectNameStrategy: 'topic-record' }).prepare('clicks', 'value', avro(clickV1));
    expect(await registry.listSubjects()).toEqual(['clicks-com.acme.Click']);
  });

  it('a function, and a separate key strategy', async () => {
    const registry = new MemoryRegistry();
    const wire = registryWireFormat(registry, {
      subjectNameStrategy: (topic, part) => `team.${topic}.${part}`,
      keySubjectNameStrategy: 'record',
    });
    await wire.prepare('clicks', 'value', avro(clickV1));
    await wire.prepare('clicks', 'key', avro({ type: 'record', name: 'ClickKey', namespace: ns, fields: [{ name: 'user', type: 'string' }] }));
    expect(await registry.listSubjects()).toEqual(['com.acme.ClickKey', 'team.clicks.value']);
  });

  it('record strategy on an unnamed schema is a ConfigError that says what to do', async () => {
    const wire = registryWireFormat(new MemoryRegistry(), { keySubjectNameStrategy: 'record' });
    const error = await wire.prepare('clicks', 'key', avro('long')).catch((e: unknown) => e);
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(/needs a named Avro type.*key of topic clicks.*keySubjectNameStrategy: 'topic'/);
  });

  it('an unknown strategy name is a ConfigError', () => {
    expect(() => registryWireFormat(new MemoryRegistry(), { subjectNameStrategy: 'nope' as never })).toThrow(/unknown strategy "nope"/);
  });
});

describe('decimals through the registry', () => {
  const payment = (scale: number) => ({ type: 'record', name: 'Payment', namespace: ns, fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale } }] });
  /** A codec over mephisto's own types (decimals are Decimals), as a generated model's is. */
  function decimalCodec(scale: number): Codec<{ amount: Decimal }> {
    const schema = payment(scale);
    const type = new AvroTypes([schema as never]).get(`${ns}.Payment`);
    return { name: `${ns}.Payment`, encode: (value) => type.toBuffer(value), decode: (bytes) => type.fromBuffer(bytes) as { amount: Decimal }, avro: { schema: schema as never, type } };
  }

  it('refuses, when decoding, a writer decimal of another scale (12.34 written at scale 3 is not 1.234 at scale 2)', async () => {
    const registry = new MemoryRegistry();
    await registry.setCompatibility('NONE');
    const writer = await registryWireFormat(registry).prepare('payments', 'value', decimalCodec(3));
    const reader = await registryWireFormat(registry).prepare('payments', 'value', decimalCodec(2));
    const error = await decodeError(reader, writer.encode({ amount: new Decimal('12.34') }));
    expect(error.message).toMatch(/incompatible writer schema id \d+: .*decimal\(10, 2\) cannot read decimal\(10, 3\)/);
    // the same scale still decodes through the registry
    const same = await registryWireFormat(registry).prepare('payments-2', 'value', decimalCodec(2));
    expect(String(((await reader.decode(same.encode({ amount: new Decimal('12.34') }))) as { amount: Decimal }).amount)).toBe('12.34');
  });

  it('refuses to register a decimal of another scale under BACKWARD compatibility', async () => {
    const registry = new MemoryRegistry();
    await registry.register('payments-value', payment(2));
    await expect(registry.register('payments-value', payment(3))).rejects.toThrow(/decimal\(10, 3\) cannot read decimal\(10, 2\)/);
  });
});
