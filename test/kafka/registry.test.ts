import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { isSchemaIncompatibleError, isWireDecodeError, type SchemaIncompatibleError } from '../../src/errors.js';
import { openRegistry, readSchemaId, registryWireFormat } from '../../src/registry/index.js';
import type { SchemaRegistry } from '../../src/registry/types.js';
import { codecs } from '../../src/serde/index.js';

/**
 * The registry layer against the real Schema Registry of the Kafka suite (Apicurio's Confluent
 * API, MEPHISTO_REGISTRY_URL) and the real broker: subjects are random and deleted afterwards.
 */
const registryUrl = process.env.MEPHISTO_REGISTRY_URL!;
const brokers = (process.env.MEPHISTO_KAFKA_BROKERS ?? '').split(',');
const run = randomUUID().slice(0, 8);
const created = new Set<string>();
const subject = (name: string) => {
  const s = `mephisto-${run}-${name}`;
  created.add(s);
  return s;
};

afterAll(async () => {
  for (const s of created) {
    await fetch(`${registryUrl}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${registryUrl}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

const record = (name: string, fields: unknown[], extra: object = {}) => ({ type: 'record', name, namespace: 'com.acme.evolution', fields, ...extra });
const avro = <T>(schema: unknown) => codecs.avroSchema<T>(schema as never);

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

describe('HttpRegistry against Apicurio (Confluent API)', () => {
  it('registers idempotently, versions, looks up and serves by id', async () => {
    const registry = openRegistry(registryUrl);
    const s = subject('basics-value');
    const v1 = record('Basics', [{ name: 'a', type: 'int' }]);
    const v2 = record('Basics', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]);
    const first = await registry.register(s, v1);
    expect(await registry.register(s, v1)).toEqual(first);
    const second = await registry.register(s, v2);
    expect(second.version).toBe(first.version + 1);
    expect(second.id).not.toBe(first.id);
    expect(await registry.listVersions(s)).toEqual([first.version, second.version]);
    expect((await registry.getVersion(s, first.version)).schema).toEqual(v1);
    expect((await registry.getLatest(s)).id).toBe(second.id);
    expect(await registry.lookup(s, v1)).toEqual(first);
    expect(await registry.lookup(s, record('Basics', [{ name: 'z', type: 'int' }]))).toBeUndefined();
    expect(await registry.listSubjects()).toContain(s);
    expect(await registry.getById(second.id)).toEqual(v2);
  });

  it('enforces and explains a subject compatibility level', async () => {
    const registry = openRegistry(registryUrl);
    const s = subject('compat-value');
    await registry.register(s, record('Compat', [{ name: 'a', type: 'int' }]));
    await registry.setCompatibility('BACKWARD', s);
    expect(await registry.getCompatibility(s)).toBe('BACKWARD');
    const broken = record('Compat', [{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }]);
    const check = await registry.checkCompatibility(s, broken);
    expect(check.compatible).toBe(false);
    expect(check.messages.join('\n')).toMatch(/Compat\.a: the writer's int cannot be read as string/);
    expect(check.messages.join('\n')).toMatch(/Compat\.b: the reader's field has no default/);
    const error = await registry.register(s, broken).catch((e: unknown) => e as SchemaIncompatibleError);
    expect(isSchemaIncompatibleError(error)).toBe(true);
    expect(error.subject).toBe(s);
    expect((await registry.checkCompatibility(s, record('Compat', [{ name: 'a', type: 'long' }]))).compatible).toBe(true);
  });

  it('resolves schema references into a self-contained writer schema', async () => {
    const registry = openRegistry(registryUrl);
    const addressSubject = subject('com.acme.evolution.Address');
    const address = record('Address', [{ name: 'city', type: 'string' }]);
    const addressVersion = await registry.register(addressSubject, address);
    const customer = record('Customer', [{ name: 'name', type: 'string' }, { name: 'home', type: 'com.acme.evolution.Address' }]);
    const references = [{ name: 'com.acme.evolution.Address', subject: addressSubject, version: addressVersion.version }];
    const registered = await registry.register(subject('customers-value'), customer, references);
    expect(registered.references).toEqual(references);
    expect(await registry.getById(registered.id)).toEqual({ ...customer, fields: [customer.fields[0], { name: 'home', type: address }] });
    const writer = await openRegistry(registryUrl).getWriterType!(registered.id);
    expect(writer.toBuffer({ name: 'ada', home: { city: 'Paris' } })).toEqual(Buffer.from([6, 97, 100, 97, 10, 80, 97, 114, 105, 115]));
  });
});

describe('schema evolution across two registered versions (Apicurio)', () => {
  const writerSchema = record('Click', [
    { name: 'user', type: 'string' },
    { name: 'count', type: 'int' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'BUY', 'REFUND'] } },
    { name: 'legacy', type: 'string' },
  ]);
  const readerSchema = record('PageClick', [
    { name: 'userId', type: 'string', aliases: ['user'] },
    { name: 'count', type: 'long' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'BUY', 'OTHER'], default: 'OTHER' } },
    { name: 'page', type: 'string', default: '/' },
  ], { aliases: ['com.acme.evolution.Click'] });

  it('decodes v1 data into the v2 model, fetching the writer schema once', async () => {
    const s = subject('clicks-value');
    const topic = s.replace(/-value$/, '');
    const registry = openRegistry(registryUrl);
    const writer = await registryWireFormat(registry).prepare(topic, 'value', avro(writerSchema));
    // The reader's schema renames the record: a new lineage as far as BACKWARD is concerned.
    await registry.setCompatibility('NONE', s);
    const countingRegistry = counting(openRegistry(registryUrl));
    const readerCodec = avro(readerSchema);
    const reader = await registryWireFormat(countingRegistry).prepare(topic, 'value', readerCodec);
    expect(await registry.listVersions(s)).toHaveLength(2);

    const values = [
      { user: 'ada', count: 1, kind: 'VIEW', legacy: 'x' },
      { user: 'bob', count: 2147483647, kind: 'REFUND', legacy: 'y' },
    ];
    const decoded = await Promise.all(values.map((v) => reader.decode(writer.encode(v))));
    expect(decoded).toEqual([
      { userId: 'ada', count: 1, kind: 'VIEW', page: '/' },
      { userId: 'bob', count: 2147483647, kind: 'OTHER', page: '/' },
    ]);
    expect(decoded[0]).toBeInstanceOf((readerCodec.avro!.type as unknown as { recordConstructor: new () => unknown }).recordConstructor);
    expect(countingRegistry.fetches).toEqual([readSchemaId(writer.encode(values[0]))]);
  });

  it('goes through the real broker: framed by one schema version, read with the next', async () => {
    const s = subject('broker-value');
    const topic = s.replace(/-value$/, '');
    const registry = openRegistry(registryUrl);
    const writer = await registryWireFormat(registry).prepare(topic, 'value', avro(writerSchema));
    // The reader's schema renames the record: a new lineage as far as BACKWARD is concerned.
    await registry.setCompatibility('NONE', s);
    const reader = await registryWireFormat(openRegistry(registryUrl)).prepare(topic, 'value', avro(readerSchema));

    const kafka = new Kafka({ clientId: `mephisto-registry-${run}`, brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `mephisto-registry-${run}` });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.send({
        topic,
        messages: [
          { key: 'ada', value: writer.encode({ user: 'ada', count: 7, kind: 'BUY', legacy: '' }) },
          // Corrupt bytes from a raw producer: decoding says why, with no schema id to blame.
          { key: 'bad', value: Buffer.from('not framed at all') },
        ],
      });
      await consumer.subscribe({ topic, fromBeginning: true });
      const received: Buffer[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            received.push(message.value!);
            if (received.length === 2) resolve();
          },
        });
      });
      expect(await reader.decode(received[0]!)).toEqual({ userId: 'ada', count: 7, kind: 'BUY', page: '/' });
      let error: unknown;
      try {
        await reader.decode(received[1]!);
      } catch (e) {
        error = e;
      }
      expect(isWireDecodeError(error)).toBe(true);
      expect((error as Error).message).toMatch(/wrong magic byte 110/);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
