// The send path without a Buffer per record: RecordBuffer (src/transport/record-buffer.ts), the
// codecs' encodeInto, and the embedded broker taking a buffer whole (appendBuffer).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sender } from '../../src/app/sender.js';
import { silentLogger } from '../../src/logging.js';
import { MemoryRegistry, registryWireFormat } from '../../src/registry/index.js';
import { encodeAvroInto } from '../../src/serde/avro-encode.js';
import type { Codec } from '../../src/serde/codec.js';
import { codecs } from '../../src/serde/index.js';
import { MemoryBroker } from '../../src/transport/memory/index.js';
import { murmur2, partitionForKey } from '../../src/transport/partitioner.js';
import { RecordBuffer, type RecordEncoder } from '../../src/transport/record-buffer.js';
import type { Producer, ProducerRecord, RangeDecoder, TopicRecords } from '../../src/transport/types.js';
import { PageViews } from '../../generated/com/acme/analytics/PageViews.js';

/** Encodes with `encodeInto` into a target of every size from 0 up, checking the contract each time. */
function checkEncodeInto<T>(encoder: RecordEncoder<T> & { encodeInto: NonNullable<RecordEncoder<T>['encodeInto']> }, value: T): void {
  const expected = encoder.encode(value);
  for (let room = 0; room <= expected.length + 2; room++) {
    for (const offset of [0, 3]) {
      const target = Buffer.alloc(offset + room, 0xee);
      const end = encoder.encodeInto(value, target, offset);
      if (room < expected.length) {
        expect(end, `room ${room}`).toBeLessThan(0);
        expect(-end, `room ${room}: bytes missing`).toBeGreaterThanOrEqual(expected.length - room);
      } else {
        expect(end).toBe(offset + expected.length);
        expect(target.subarray(offset, end)).toEqual(expected);
        expect(target.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
      }
    }
  }
}

const views = (n: number) => Array.from({ length: n }, (_, i) => new PageViews({ url: `https://shop.example/p/${i}`, views: i }));

describe('encodeInto', () => {
  it('writes what encode returns, or says how many bytes are missing, for every built-in codec', () => {
    checkEncodeInto(codecs.string as never, 'plain');
    checkEncodeInto(codecs.string as never, 'naïve café ☕ 𝄞');
    checkEncodeInto(codecs.string as never, 'lone \ud800 surrogate');
    checkEncodeInto(codecs.bytes as never, Buffer.from([1, 2, 3, 250]));
    checkEncodeInto(codecs.avroSchema<number>('long') as never, 2 ** 40);
    checkEncodeInto(codecs.model(PageViews) as never, new PageViews({ url: 'https://x/é', views: 3 }));
  });

  it('frames with the Confluent header, even when there is no room for the header itself', async () => {
    const wire = registryWireFormat(new MemoryRegistry(`memory://rb-${randomUUID()}`));
    const codec = await wire.prepare('views', 'value', codecs.model(PageViews));
    expect(codec.encodeInto).toBeDefined();
    checkEncodeInto(codec as never, new PageViews({ url: 'https://x/1', views: 1 }));
    // the helper alone, target shorter than the header
    const body = PageViews.type.toBuffer(new PageViews({ url: 'u', views: 2 }));
    expect(encodeAvroInto(PageViews.type, new PageViews({ url: 'u', views: 2 }), Buffer.alloc(2), 0, 7)).toBe(-(5 + body.length - 2));
  });

  it('throws what encode throws for a value that does not fit the schema, registry framing included', async () => {
    const bad = { url: 5, views: 'x' } as unknown as PageViews;
    const model = codecs.model(PageViews);
    expect(() => model.encodeInto!(bad, Buffer.alloc(64), 0)).toThrow();
    const wire = registryWireFormat(new MemoryRegistry(`memory://rb-${randomUUID()}`));
    const framed = await wire.prepare('views', 'value', model);
    let encodeError: unknown;
    try {
      framed.encode(bad);
    } catch (error) {
      encodeError = error;
    }
    expect(() => framed.encodeInto!(bad, Buffer.alloc(64), 0)).toThrow((encodeError as Error).message);
  });
});

describe('RecordBuffer', () => {
  it('keeps each record\'s key and value spans, null parts, headers, partition and timestamp', () => {
    const buffer = new RecordBuffer('t');
    buffer.writeKey(codecs.string, 'k1');
    buffer.writeValue(codecs.model(PageViews), new PageViews({ url: 'a', views: 1 }));
    buffer.endRecord(undefined);
    buffer.writeValue(codecs.string, 'no key');
    buffer.endRecord({ h: 'x' }, 2, 42);
    buffer.writeKey(codecs.string, 'tombstone');
    buffer.endRecord(undefined);
    expect(buffer.count).toBe(3);
    expect(buffer.toProducerRecords()).toEqual([
      { key: Buffer.from('k1'), value: PageViews.type.toBuffer(new PageViews({ url: 'a', views: 1 })), headers: undefined },
      { key: null, value: Buffer.from('no key'), headers: { h: 'x' }, partition: 2, timestamp: 42 },
      { key: Buffer.from('tombstone'), value: null, headers: undefined },
    ]);
    expect([buffer.keyStart(1), buffer.valueStart(2)]).toEqual([-1, -1]);
  });

  it('grows when an encoding does not fit, keeping what was written (and encoders without encodeInto work)', () => {
    const buffer = new RecordBuffer('t');
    const plain: RecordEncoder<string> = { encode: (value) => Buffer.from(value, 'latin1') }; // no encodeInto
    const expected: ProducerRecord[] = [];
    for (let i = 0; i < 300; i++) {
      const big = 'x'.repeat(i * 7);
      buffer.writeKey(plain, `key-${i}`);
      buffer.writeValue(codecs.string, big);
      buffer.endRecord(undefined);
      expected.push({ key: Buffer.from(`key-${i}`), value: Buffer.from(big), headers: undefined });
    }
    expect(buffer.used).toBeGreaterThan(300_000);
    expect(buffer.toProducerRecords()).toEqual(expected);
  });

  it('drops a record whose value failed to encode after its key was written, and reuses its bytes', () => {
    const buffer = new RecordBuffer('t');
    const failing: RecordEncoder<string> = {
      encode: () => {
        throw new Error('does not fit');
      },
      encodeInto: () => {
        throw new Error('does not fit');
      },
    };
    buffer.writeKey(codecs.string, 'good');
    buffer.writeValue(codecs.string, 'v1');
    buffer.endRecord(undefined);
    const used = buffer.used;
    buffer.writeKey(codecs.string, 'a key written before its value failed');
    expect(() => buffer.writeValue(failing, 'x')).toThrow('does not fit');
    buffer.dropRecord();
    expect(buffer.used).toBe(used);
    buffer.writeValue(codecs.string, 'v2');
    buffer.endRecord(undefined);
    expect(buffer.toProducerRecords().map((r) => [r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      ['good', 'v1'],
      [null, 'v2'],
    ]);
  });

  it('copies records given as bytes (the buffers may be reused by their owner)', () => {
    const buffer = new RecordBuffer('t');
    const value = Buffer.from('mutable');
    buffer.addRecord({ key: null, value, headers: { a: 'b' }, timestamp: 5 });
    value.fill(0);
    expect(buffer.toProducerRecords()).toEqual([{ key: null, value: Buffer.from('mutable'), headers: { a: 'b' }, partition: undefined, timestamp: 5 }]);
  });
});

describe('murmur2 of a range', () => {
  it('equals murmur2 of the same bytes on their own', () => {
    const bytes = Buffer.from('xx-user-1234-and-more-bytes-yy');
    for (let start = 0; start < 8; start++) {
      for (let end = start; end <= bytes.length; end += 3) {
        expect(murmur2(bytes, start, end)).toBe(murmur2(Buffer.from(bytes.subarray(start, end))));
        expect(partitionForKey(bytes, 7, start, end)).toBe(partitionForKey(Buffer.from(bytes.subarray(start, end)), 7));
      }
    }
  });
});

/** The same records appended both ways, read back as plain objects. */
function appendBothWays(records: readonly ProducerRecord[], partitions: number) {
  const read = (broker: MemoryBroker) =>
    broker.topic('t', 'test').logs.map((log) => log.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })));
  const a = MemoryBroker.forUrl(`memory://rb-${randomUUID()}`);
  const b = MemoryBroker.forUrl(`memory://rb-${randomUUID()}`);
  a.createTopic({ topic: 't', partitions });
  b.createTopic({ topic: 't', partitions });
  a.append('t', records);
  const buffer = new RecordBuffer('t');
  for (const record of records) buffer.addRecord(record);
  b.appendBuffer(buffer);
  return { viaRecords: read(a), viaBuffer: read(b), buffer };
}

describe('the embedded broker taking a RecordBuffer', () => {
  const mixed = (n: number, size: number): ProducerRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      key: i % 5 === 0 ? null : Buffer.from(`user-${i % 37}`),
      value: i % 11 === 0 ? null : Buffer.from(`${i}:`.padEnd(size, 'v')),
      ...(i % 7 === 0 ? { headers: { trace: `t${i}` } } : {}),
      ...(i % 13 === 0 ? { partition: i % 3 } : {}),
      ...(i % 17 === 0 ? { timestamp: 1_000 + i } : {}),
    }));

  it('stores what append stores, for a small buffer (copied in)', () => {
    const { viaRecords, viaBuffer, buffer } = appendBothWays(mixed(40, 10), 3);
    expect(buffer.used).toBeLessThan(16 * 1024);
    const stamp = (logs: typeof viaRecords) => logs.map((log) => log.map((r) => ({ ...r, timestamp: r.timestamp > 1_000_000 ? 'now' : r.timestamp })));
    expect(stamp(viaBuffer)).toEqual(stamp(viaRecords));
  });

  it('stores what append stores, for a big buffer kept as it is, across partitions; later sends do not disturb it', () => {
    const records = mixed(5_000, 40);
    const { viaRecords, viaBuffer, buffer } = appendBothWays(records, 4);
    expect(buffer.used).toBeGreaterThan(16 * 1024);
    const stamp = (logs: typeof viaRecords) => logs.map((log) => log.map((r) => ({ ...r, timestamp: r.timestamp > 1_000_000 ? 'now' : r.timestamp })));
    expect(stamp(viaBuffer)).toEqual(stamp(viaRecords));
    expect(viaBuffer.flat().filter((r) => r.key === null && r.value === null).length).toBe(viaRecords.flat().filter((r) => r.key === null && r.value === null).length);
  });

  it('refuses a record naming a partition the topic does not have', () => {
    const broker = MemoryBroker.forUrl(`memory://rb-${randomUUID()}`);
    broker.createTopic({ topic: 't', partitions: 2 });
    const buffer = new RecordBuffer('t');
    buffer.addRecord({ key: null, value: Buffer.from('x'), partition: 5 });
    expect(() => broker.appendBuffer(buffer)).toThrow(/partition 5 does not exist/);
  });

  it('a log mixing kept buffers, copied buffers and plain appends reads back in order', () => {
    const broker = MemoryBroker.forUrl(`memory://rb-${randomUUID()}`);
    broker.createTopic({ topic: 't', partitions: 1 });
    const expected: string[] = [];
    for (let round = 0; round < 6; round++) {
      const buffer = new RecordBuffer('t');
      const n = round % 2 === 0 ? 2_000 : 3; // big (kept) and small (copied) buffers in turn
      for (let i = 0; i < n; i++) {
        const value = `r${round}-${i}`.padEnd(20, '.');
        buffer.writeValue(codecs.string, value);
        buffer.endRecord(undefined);
        expected.push(value);
      }
      broker.appendBuffer(buffer);
      broker.append('t', [{ key: null, value: Buffer.from(`plain-${round}`) }]);
      expected.push(`plain-${round}`);
    }
    const log = broker.topic('t', 'test').logs[0]!;
    expect(log.records.map((r) => r.value!.toString())).toEqual(expected);
    expect(log.readForConsumer(0, log.end).map((r) => r.readValue!(codecs.string as RangeDecoder<string>))).toEqual(expected);
  });
});

describe('Sender', () => {
  it('hands whole buffers to a producer that takes them, else the same records to sendBatch', async () => {
    const viaBuffers: ProducerRecord[][] = [];
    const viaBatches: TopicRecords[][] = [];
    const taking = {
      sendBuffered: async (buffers: readonly RecordBuffer[]) => void viaBuffers.push(...buffers.map((b) => b.toProducerRecords())),
      sendBatch: async () => {
        throw new Error('not this one');
      },
    } as unknown as Producer;
    const plain = { sendBatch: async (batches: readonly TopicRecords[]) => (viaBatches.push([...batches]), []) } as unknown as Producer;
    for (const producer of [taking, plain]) {
      const sender = new Sender(producer, silentLogger);
      void sender.enqueue('a', { key: null, value: Buffer.from('1') });
      const buffer = sender.startRecord('a')!;
      buffer.writeValue(codecs.string, '2');
      buffer.endRecord(undefined);
      void sender.recordWritten();
      void sender.enqueue('b', { key: Buffer.from('k'), value: Buffer.from('3'), partition: 0 });
      await sender.flush();
    }
    expect(viaBuffers.map((records) => records.map((r) => r.value!.toString()))).toEqual([['1', '2'], ['3']]);
    expect(viaBatches).toEqual([
      [
        { topic: 'a', records: [{ key: null, value: Buffer.from('1'), headers: undefined }, { key: null, value: Buffer.from('2'), headers: undefined }] },
        { topic: 'b', records: [{ key: Buffer.from('k'), value: Buffer.from('3'), headers: undefined, partition: 0, timestamp: undefined }] },
      ],
    ]);
  });

  it('sends nothing for a topic whose only record was dropped', async () => {
    const sent: TopicRecords[][] = [];
    const sender = new Sender({ sendBatch: async (batches: readonly TopicRecords[]) => (sent.push([...batches]), []) } as unknown as Producer, silentLogger);
    const dropped = sender.startRecord('never')!;
    dropped.writeKey(codecs.string, 'k');
    dropped.dropRecord();
    sender.recordDropped();
    void sender.enqueue('t', { key: null, value: Buffer.from('x') });
    await sender.flush();
    expect(sent.map((batch) => batch.map((b) => b.topic))).toEqual([['t']]);
  });
});

// The App's topics write through the buffer: an encoding failure rejects that send only.
describe('Topic.send through the send buffer', () => {
  it('rejects a value that does not fit with an EncodeError and sends the rest in order', async () => {
    const { App } = await import('../../src/app/index.js');
    const { defineTopic } = await import('../../src/serde/index.js');
    const url = `memory://rb-${randomUUID()}`;
    const app = new App('rb', { broker: url, logger: silentLogger, env: {} });
    const topic = app.topic(defineTopic({ name: 'views', key: codecs.string, value: codecs.model(PageViews) as Codec<PageViews>, partitions: 1 }));
    await app.start();
    try {
      const sends = [
        topic.send({ key: 'a', value: views(1)[0]! }),
        topic.send({ key: 'b', value: { url: 5 } as unknown as PageViews }),
        topic.send({ key: 'c', value: new PageViews({ url: 'c', views: 3 }), timestamp: 1234 }),
      ];
      const results = await Promise.allSettled(sends);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'EncodeError' });
      const log = MemoryBroker.forUrl(url).topic('views', 'test').logs[0]!;
      expect(log.records.map((r) => [r.key!.toString(), PageViews.decode(r.value!).url, r.timestamp === 1234])).toEqual([
        ['a', 'https://shop.example/p/0', false],
        ['c', 'c', true],
      ]);
    } finally {
      await app.stop();
      MemoryBroker.drop(url);
    }
  });
});

describe('big values (review: any send over 2 KiB failed)', () => {
  const big = 'y'.repeat(5000);
  it('a fresh buffer takes one value larger than twice its room, for every codec', async () => {
    const wire = registryWireFormat(new MemoryRegistry(`memory://rb-${randomUUID()}`));
    const framed = await wire.prepare('blobs', 'value', codecs.avroSchema<string>('string'));
    const encoders: [string, RecordEncoder<never>, unknown][] = [
      ['string', codecs.string as never, big],
      ['bytes', codecs.bytes as never, Buffer.from(big)],
      ['avro string', codecs.avroSchema<string>('string') as never, big],
      ['model', codecs.model(PageViews) as never, new PageViews({ url: big, views: 1 })],
      ['registry-framed', framed as never, big],
    ];
    for (const [name, encoder, value] of encoders) {
      const buffer = new RecordBuffer('t');
      buffer.writeValue(encoder, value as never);
      buffer.endRecord(undefined);
      expect(buffer.toProducerRecords()[0]!.value, name).toEqual((encoder as RecordEncoder<unknown>).encode(value));
    }
  });

  it('a half-full buffer takes a value larger than twice its size, keeping what it held', () => {
    const buffer = new RecordBuffer('t');
    buffer.writeValue(codecs.string, 'x'.repeat(600));
    buffer.endRecord(undefined);
    buffer.writeValue(codecs.string, big);
    buffer.endRecord(undefined);
    expect(buffer.toProducerRecords().map((r) => r.value!.toString())).toEqual(['x'.repeat(600), big]);
  });

  it('topic.send of a 5,000-byte value is sent, string and Avro', async () => {
    const { App } = await import('../../src/app/index.js');
    const { defineTopic } = await import('../../src/serde/index.js');
    const url = `memory://rb-${randomUUID()}`;
    const app = new App('big', { broker: url, logger: silentLogger, env: {} });
    const plain = app.topic(defineTopic({ name: 'blobs', key: codecs.string, value: codecs.string, partitions: 1 }));
    const avro = app.topic(defineTopic({ name: 'avro', key: codecs.string, value: codecs.avroSchema<string>('string'), partitions: 1 }));
    await app.start();
    try {
      await plain.send({ key: 'k', value: big });
      await avro.send({ key: 'k', value: big });
      const broker = MemoryBroker.forUrl(url);
      expect(broker.topic('blobs', 'test').logs[0]!.records.map((r) => r.value!.toString())).toEqual([big]);
      expect(broker.topic('avro', 'test').logs[0]!.records.map((r) => r.value!.length)).toEqual([codecs.avroSchema<string>('string').encode(big).length]);
    } finally {
      await app.stop();
      MemoryBroker.drop(url);
    }
  });
});

describe('a codec that sends while its record is being written (review: it corrupted the record)', () => {
  it('keeps the outer record whole and sends the nested ones after it, in the same batch', async () => {
    const { App } = await import('../../src/app/index.js');
    const { defineTopic } = await import('../../src/serde/index.js');
    const url = `memory://rb-${randomUUID()}`;
    const app = new App('re', { broker: url, logger: silentLogger, env: {} });
    let topic: { send(m: { key: string; value: string }): Promise<void> } | undefined;
    let audit: { send(m: { key: string; value: string }): Promise<void> } | undefined;
    const nested: Promise<void>[] = [];
    const noisy: Codec<string> = {
      name: 'noisy',
      encode: (value: string) => {
        if (value === 'outer') {
          nested.push(topic!.send({ key: 'inner-key', value: 'inner' }), audit!.send({ key: 'a', value: 'audited outer' }));
        }
        return Buffer.from(value);
      },
      decode: (bytes: Buffer) => bytes.toString(),
    };
    topic = app.topic(defineTopic({ name: 't', key: codecs.string, value: noisy, partitions: 1 }));
    audit = app.topic(defineTopic({ name: 'audit', key: codecs.string, value: codecs.string, partitions: 1 }));
    await app.start();
    try {
      await topic.send({ key: 'outer-key', value: 'outer' });
      await Promise.all(nested);
      const broker = MemoryBroker.forUrl(url);
      const read = (name: string) => broker.topic(name, 'test').logs[0]!.records.map((r) => [r.key?.toString() ?? null, r.value?.toString()]);
      expect(read('t')).toEqual([
        ['outer-key', 'outer'],
        ['inner-key', 'inner'],
      ]);
      expect(read('audit')).toEqual([['a', 'audited outer']]);
    } finally {
      await app.stop();
      MemoryBroker.drop(url);
    }
  });
});

describe('the size hint', () => {
  it('sizes the next buffer to the last batch, within 1 MiB', async () => {
    const sender = new Sender({ sendBuffered: async () => {}, sendBatch: async () => [] } as unknown as Producer, silentLogger);
    for (let i = 0; i < 3_000; i++) void sender.enqueue('t', { key: null, value: Buffer.alloc(1024) });
    await sender.flush();
    const next = sender.startRecord('t')!;
    sender.recordDropped();
    expect(next.bytes.length).toBeLessThanOrEqual((1 << 20) + (1 << 17));
    expect(next.bytes.length).toBeGreaterThanOrEqual(1 << 20);
  });
});
