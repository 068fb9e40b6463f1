import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/index.js';
import { memoryLogger } from '../../src/logging.js';
import { frame, openRegistry, registryWireFormat } from '../../src/registry/index.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { MemoryBroker, MemoryTransport } from '../../src/transport/memory/index.js';

/**
 * The whole path on the embedded broker and registry: an app with `registry: 'memory://NAME'`
 * reads records framed by an older schema version into its current model, and dead-letters
 * corrupt bytes, unknown schema ids and incompatible writers with the reason, going on.
 */
interface Page {
  readonly user: string;
  readonly path: string;
  readonly ms: number;
  readonly referrer: string;
}

const pageV1 = {
  type: 'record',
  name: 'Page',
  namespace: 'test.registry',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'path', type: 'string' },
    { name: 'ms', type: 'int' },
  ],
};
const pageV2 = { ...pageV1, fields: [...pageV1.fields.slice(0, 2), { name: 'ms', type: 'long' }, { name: 'referrer', type: 'string', default: '' }] };

const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop().catch(() => undefined);
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('an app with a schema registry (memory)', () => {
  it('reads an older writer into the current model and dead-letters what it cannot read', async () => {
    const brokerUrl = `memory://registry-app-${randomUUID()}`;
    const registryUrl = `memory://registry-app-${randomUUID()}`;
    const broker = MemoryBroker.forUrl(brokerUrl);
    const pages = defineTopic({ name: 'pages', key: codecs.string, value: codecs.avroSchema<Page>(pageV2), partitions: 1 });
    const app = new App('regapp', { broker: brokerUrl, registry: registryUrl, logger: memoryLogger(), commitInterval: 60_000, env: {} });
    apps.push(app);
    const seen: Page[] = [];
    app.agent(app.topic(pages), async function readPages(stream) {
      for await (const page of stream) seen.push(page);
    });

    // An older producer registered v1 under the same subject and wrote with it.
    const registry = openRegistry(registryUrl);
    const older = await registryWireFormat(registry).prepare('pages', 'value', codecs.avroSchema<Record<string, unknown>>(pageV1));
    await app.start();
    const incompatible = await registry.register('elsewhere-value', { ...pageV1, fields: [{ name: 'user', type: 'int' }] });

    const raw = new MemoryTransport(brokerUrl).producer();
    await raw.send('pages', [
      { key: Buffer.from('a'), value: older.encode({ user: 'ada', path: '/old', ms: 5 }) },
      { key: Buffer.from('b'), value: Buffer.from('plain text, not framed') },
      { key: Buffer.from('c'), value: frame(9999, Buffer.from([2, 97])) },
      { key: Buffer.from('d'), value: frame(incompatible.id, Buffer.from([2])) },
    ]);
    await app.topic(pages).send({ key: 'e', value: { user: 'bob', path: '/new', ms: 7, referrer: '/home' } });

    await until(() => seen.length === 2, 'the two readable pages');
    expect(seen).toEqual([
      { user: 'ada', path: '/old', ms: 5, referrer: '' },
      { user: 'bob', path: '/new', ms: 7, referrer: '/home' },
    ]);
    await app.internals.flush();
    const dlq = broker.topics.get('regapp-readPages-dlq')?.logs.flatMap((log) => log.records) ?? [];
    expect(dlq.map((r) => r.key?.toString())).toEqual(['b', 'c', 'd']);
    const errors = dlq.map((r) => r.headers['mephisto-error']!.toString());
    expect(dlq.every((r) => r.headers['mephisto-error-type']!.toString() === 'ValueDecodeError')).toBe(true);
    expect(errors[0]).toMatch(/wrong magic byte 112/);
    expect(errors[1]).toMatch(/unknown schema id 9999/);
    expect(errors[2]).toMatch(new RegExp(`incompatible writer schema id ${incompatible.id}.*test\\.registry\\.Page\\.user: the writer's int cannot be read as string`));
    expect(dlq[0]!.value!.toString()).toBe('plain text, not framed');
  });
});

describe('an undecodable key and value in one record', () => {
  it('dead-letters the record once, whether the key fails at once or later, with no unhandled rejection (it ended the process)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const keySchema = { type: 'record', name: 'K', namespace: 'x', fields: [{ name: 'id', type: 'string' }] };
    const valueSchema = { type: 'record', name: 'V', namespace: 'x', fields: [{ name: 'n', type: 'int' }] };
    const brokerUrl = `memory://kv-${randomUUID()}`;
    const broker = MemoryBroker.forUrl(brokerUrl);
    const topic = defineTopic({ name: 'kv', key: codecs.avroSchema<{ id: string }>(keySchema), value: codecs.avroSchema<{ n: number }>(valueSchema), partitions: 1 });
    const app = new App('kvapp', { broker: brokerUrl, registry: `memory://kv-${randomUUID()}`, logger: memoryLogger(), commitInterval: 60_000, env: {} });
    const seen: unknown[] = [];
    app.agent(app.topic(topic), async function read(stream) {
      for await (const pair of stream.items()) seen.push(pair);
    });
    try {
      await app.start();
      const raw = new MemoryTransport(brokerUrl).producer();
      // a key that fails at once (not framed), a value whose writer must be fetched (unknown id)
      await raw.send('kv', [{ key: Buffer.from('not framed'), value: frame(4242, Buffer.from([2])) }]);
      // both fetched, both unknown
      await raw.send('kv', [{ key: frame(4243, Buffer.from([2, 97])), value: frame(4244, Buffer.from([2])) }]);
      const deadLetters = () => broker.topics.get('kvapp-read-dlq')?.logs.flatMap((log) => log.records) ?? [];
      for (let i = 0; i < 300 && deadLetters().length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        await app.internals.flush();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(deadLetters()).toHaveLength(2);
      expect(seen).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await app.stop();
      MemoryBroker.drop(brokerUrl);
    }
  });
});

describe('a registry that refuses to answer', () => {
  it('stops the worker instead of dead-lettering good records, and commits nothing past them (401 sent them to the DLQ)', async () => {
    const { MemoryRegistry } = await import('../../src/registry/memory.js');
    const { RegistryError } = await import('../../src/errors.js');
    const registry = new MemoryRegistry();
    const schema = { type: 'record', name: 'P', namespace: 't', fields: [{ name: 'user', type: 'string' }] };
    const writerId = (await registry.register('p-value', schema)).id;
    // the reader is another schema (a new field), so the writer's must be fetched by id
    const readerSchema = { ...schema, fields: [...schema.fields, { name: 'ref', type: 'string', default: '' }] };
    const refusing = Object.assign(Object.create(registry) as typeof registry, {
      getWriterType: undefined,
      getById: async () => {
        throw new RegistryError('answered 401: unauthorized', { url: 'memory://refusing', status: 401 });
      },
    });
    const brokerUrl = `memory://refused-${randomUUID()}`;
    const broker = MemoryBroker.forUrl(brokerUrl);
    const logger = memoryLogger();
    const app = new App('auth', { broker: brokerUrl, registry: refusing, logger, commitInterval: 20, env: {} });
    const topic = defineTopic({ name: 'p', key: codecs.string, value: codecs.avroSchema<{ user: string; ref: string }>(readerSchema), partitions: 1 });
    const seen: unknown[] = [];
    app.agent(app.topic(topic), async function read(stream) {
      for await (const value of stream) seen.push(value);
    });
    try {
      await app.start();
      const body = (await import('avsc')).default.Type.forSchema(schema as never).toBuffer({ user: 'a' });
      await new MemoryTransport(brokerUrl).producer().send('p', [{ key: null, value: frame(writerId, body) }]);
      for (let i = 0; i < 300 && app.internals.running; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(app.internals.running).toBe(false);
      expect(logger.entries.some((e) => e.level === 'error' && /Worker stops: .*cannot fetch writer schema id .*401/.test(e.message))).toBe(true);
      expect(broker.topics.get('auth-read-dlq')?.logs.flatMap((log) => log.records) ?? []).toEqual([]);
      expect(await new MemoryTransport(brokerUrl).admin().fetchCommittedOffsets('auth', 'p')).toEqual([]);
      expect(seen).toEqual([]);
    } finally {
      await app.stop();
      MemoryBroker.drop(brokerUrl);
    }
  });
});

describe('registry settings of the App', () => {
  const page = defineTopic({ name: 'pages', key: codecs.string, value: codecs.avroSchema<Page>(pageV2 as never), partitions: 1 });
  const value = { user: 'ada', path: '/', ms: 1, referrer: '' };

  it('takes the subject name strategy from the environment (record names: one subject per record type)', async () => {
    const registryUrl = `memory://settings-${randomUUID()}`;
    const app = new App('strategy', { broker: `memory://s-${randomUUID()}`, registry: registryUrl, logger: memoryLogger(), env: { MEPHISTO_REGISTRY_SUBJECT_STRATEGY: 'record' } });
    apps.push(app);
    const topic = app.topic(page);
    await app.start();
    await topic.send({ key: 'ada', value });
    expect(await openRegistry(registryUrl).listSubjects()).toContain('test.registry.Page');
    expect(await openRegistry(registryUrl).listSubjects()).not.toContain('pages-value');
  });

  it('with autoRegister off (from the code), refuses to start on a subject that does not hold the schema, naming it', async () => {
    const app = new App('no-register', { broker: `memory://s-${randomUUID()}`, registry: `memory://settings-${randomUUID()}`, registryOptions: { autoRegister: false }, logger: memoryLogger(), env: {} });
    apps.push(app);
    app.topic(page);
    await expect(app.start()).rejects.toThrow(/not registered under subject pages-value, and autoRegister is off/);
  });

  it('refuses unusable values, naming the setting and its variable', () => {
    const make = (env: Record<string, string>) => () => new App('bad', { broker: 'memory://', logger: memoryLogger(), env });
    expect(make({ MEPHISTO_REGISTRY_SUBJECT_STRATEGY: 'by-name' })).toThrow(/MEPHISTO_REGISTRY_SUBJECT_STRATEGY.*topic, record, topic-record.*"by-name"/);
    expect(make({ MEPHISTO_REGISTRY_KEY_SUBJECT_STRATEGY: 'x' })).toThrow(/MEPHISTO_REGISTRY_KEY_SUBJECT_STRATEGY/);
    expect(make({ MEPHISTO_REGISTRY_AUTO_REGISTER: 'maybe' })).toThrow(/MEPHISTO_REGISTRY_AUTO_REGISTER.*true or false/);
    expect(make({ MEPHISTO_REGISTRY_FETCH_RETRY_MS: '-5' })).toThrow(/MEPHISTO_REGISTRY_FETCH_RETRY_MS/);
  });
});

describe('what an app registers', () => {
  it('a consumer-only app registers nothing, even where its reader could not be registered (FORWARD), and reads the writer', async () => {
    const brokerUrl = `memory://consumer-only-${randomUUID()}`;
    const registryUrl = `memory://consumer-only-${randomUUID()}`;
    const registry = openRegistry(registryUrl);
    await registry.setCompatibility('FORWARD');
    // The producer's v1 is registered and written with; v2 (ms int -> long) could not be
    // registered after it under FORWARD: v1 readers cannot read a long as an int.
    const producer = await registryWireFormat(registry).prepare('pages', 'value', codecs.avroSchema<Record<string, unknown>>(pageV1));
    await expect(registry.register('pages-value', pageV2)).rejects.toThrow();
    const pages = defineTopic({ name: 'pages', key: codecs.string, value: codecs.avroSchema<Page>(pageV2), partitions: 1 });
    const app = new App('reader', { broker: brokerUrl, registry: registryUrl, logger: memoryLogger(), env: {} });
    apps.push(app);
    const seen: Page[] = [];
    app.agent(app.topic(pages), async function readPages(stream) {
      for await (const page of stream) seen.push(page);
    });
    await app.start();
    await new MemoryTransport(brokerUrl).producer().send('pages', [{ key: Buffer.from('a'), value: producer.encode({ user: 'ada', path: '/', ms: 5 }) }]);
    await until(() => seen.length === 1, 'the page');
    expect(seen).toEqual([{ user: 'ada', path: '/', ms: 5, referrer: '' }]);
    expect((await registry.listVersions('pages-value')).length).toBe(1);
  });

  it('a sink topic is registered at start (a schema the registry refuses stops the start), a read topic on its first send', async () => {
    const registryUrl = `memory://sinks-${randomUUID()}`;
    const registry = openRegistry(registryUrl);
    await registry.register('views-value', { type: 'record', name: 'View', namespace: 'test.registry', fields: [{ name: 'n', type: 'string' }] });
    const pages = defineTopic({ name: 'pages', key: codecs.string, value: codecs.avroSchema<Page>(pageV2), partitions: 1 });
    const views = defineTopic({ name: 'views', key: codecs.string, value: codecs.avroSchema<{ n: number }>({ type: 'record', name: 'View', namespace: 'test.registry', fields: [{ name: 'n', type: 'int' }] }), partitions: 1 });
    const refused = new App('refused', { broker: `memory://sinks-${randomUUID()}`, registry: registryUrl, logger: memoryLogger(), env: {} });
    apps.push(refused);
    refused.agent(refused.topic(pages), async function* toViews(stream) {
      for await (const page of stream) yield { n: page.ms };
    }, { sink: [refused.topic(views)] });
    await expect(refused.start()).rejects.toThrow(/views-value/);

    const app = new App('lazy', { broker: `memory://sinks-${randomUUID()}`, registry: registryUrl, logger: memoryLogger(), env: {} });
    apps.push(app);
    const topic = app.topic(pages);
    app.agent(topic, async function readPages(stream) {
      for await (const page of stream) void page;
    });
    await app.start();
    expect(await registry.listSubjects()).not.toContain('pages-value');
    await topic.send({ key: 'a', value: { user: 'ada', path: '/', ms: 1, referrer: '' } });
    expect(await registry.listSubjects()).toContain('pages-value');
  });

  it('a codec prepared for reading, its schema not registered, refuses to encode, naming topic and subject', async () => {
    const wire = registryWireFormat(openRegistry(`memory://read-only-${randomUUID()}`));
    const reader = await wire.prepare('pages', 'value', codecs.avroSchema<Page>(pageV2), 'read');
    expect(() => reader.encode({ user: 'a', path: '/', ms: 1, referrer: '' })).toThrow(/topic pages was prepared for reading only, and subject pages-value does not hold its schema/);
    expect(() => reader.encodeInto!({ user: 'a', path: '/', ms: 1, referrer: '' }, Buffer.alloc(64), 0)).toThrow(/prepared for reading only/);
  });
});

describe('a topic declared after start', () => {
  it('whose schema the registry refuses: no unhandled rejection; its send rejects, naming the subject', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const registryUrl = `memory://late-${randomUUID()}`;
      const registry = openRegistry(registryUrl);
      await registry.register('late-value', { type: 'record', name: 'Late', namespace: 'test.registry', fields: [{ name: 'n', type: 'string' }] });
      const app = new App('late', { broker: `memory://late-${randomUUID()}`, registry: registryUrl, logger: memoryLogger(), env: {} });
      apps.push(app);
      await app.start();
      const late = app.topic(defineTopic({ name: 'late', key: codecs.string, value: codecs.avroSchema<{ n: number }>({ type: 'record', name: 'Late', namespace: 'test.registry', fields: [{ name: 'n', type: 'int' }] }), partitions: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(late.send({ key: 'k', value: { n: 1 } })).rejects.toThrow(/late-value/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
