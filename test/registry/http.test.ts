import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isRegistryError, isSchemaIncompatibleError, type RegistryError } from '../../src/errors.js';
import { HttpRegistry, openRegistry, registryWireFormat } from '../../src/registry/index.js';
import { codecs } from '../../src/serde/index.js';
import { startConfluentFacade, type ConfluentFacade } from './confluent-facade.js';

const click = {
  type: 'record',
  name: 'Click',
  namespace: 'com.acme',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'count', type: 'int' },
  ],
} as const;
const clickV2 = { ...click, fields: [...click.fields, { name: 'page', type: 'string', default: '/' }] };
const clickBroken = { ...click, fields: [...click.fields, { name: 'page', type: 'string' }] };

let facade: ConfluentFacade | undefined;
afterEach(async () => {
  await facade?.close();
  facade = undefined;
});

async function rejection<T>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  throw new Error('expected a rejection');
}

describe('HttpRegistry against a Confluent REST API', () => {
  it('registers, looks up, lists and serves schemas', async () => {
    facade = await startConfluentFacade();
    const registry = openRegistry(facade.url);
    expect(registry).toBeInstanceOf(HttpRegistry);
    const v1 = await registry.register('clicks-value', click);
    expect(v1).toEqual({ id: 1, subject: 'clicks-value', version: 1, schema: click, references: [] });
    expect(await registry.register('clicks-value', click)).toEqual(v1);
    const v2 = await registry.register('clicks-value', clickV2);
    expect(v2.version).toBe(2);
    expect(await registry.lookup('clicks-value', click)).toEqual(v1);
    expect(await registry.lookup('clicks-value', clickBroken)).toBeUndefined();
    expect(await registry.lookup('nope-value', click)).toBeUndefined();
    expect(await registry.getById(v1.id)).toEqual(click);
    expect((await registry.getLatest('clicks-value')).id).toBe(v2.id);
    expect((await registry.getVersion('clicks-value', 1)).schema).toEqual(click);
    expect(await registry.listSubjects()).toEqual(['clicks-value']);
    expect(await registry.listVersions('clicks-value')).toEqual([1, 2]);
  });

  it('registers primitive schemas (stored as JSON strings)', async () => {
    facade = await startConfluentFacade();
    const registry = openRegistry(facade.url);
    const key = await registry.register('clicks-key', 'long');
    expect(key.schema).toBe('long');
    expect(await registry.getById(key.id)).toBe('long');
  });

  it('checks compatibility and explains, field by field, what breaks', async () => {
    facade = await startConfluentFacade();
    const registry = openRegistry(facade.url);
    expect(await registry.checkCompatibility('clicks-value', clickBroken)).toEqual({ compatible: true, messages: [] });
    await registry.register('clicks-value', click);
    expect((await registry.checkCompatibility('clicks-value', clickV2)).compatible).toBe(true);
    const check = await registry.checkCompatibility('clicks-value', clickBroken);
    expect(check.compatible).toBe(false);
    expect(check.messages.join('\n')).toMatch(/com\.acme\.Click\.page: the reader's field has no default/);
    const error = await rejection(registry.register('clicks-value', clickBroken));
    expect(isSchemaIncompatibleError(error)).toBe(true);
    expect((error as Error).message).toContain('com.acme.Click.page');
  });

  it('reads and sets compatibility levels, global and per subject', async () => {
    facade = await startConfluentFacade();
    const registry = openRegistry(facade.url);
    expect(await registry.getCompatibility()).toBe('BACKWARD');
    await registry.setCompatibility('FULL_TRANSITIVE', 'clicks-value');
    expect(await registry.getCompatibility('clicks-value')).toBe('FULL_TRANSITIVE');
    expect(await registry.getCompatibility('other-value')).toBe('BACKWARD');
    await registry.setCompatibility('NONE');
    expect(await registry.getCompatibility()).toBe('NONE');
    expect(await facade.registry.getCompatibility('clicks-value')).toBe('FULL_TRANSITIVE');
  });

  it('serves a schema with references self-contained, and decodes data written with it', async () => {
    facade = await startConfluentFacade();
    const address = { type: 'record', name: 'Address', namespace: 'com.acme', fields: [{ name: 'city', type: 'string' }] };
    const customer = { type: 'record', name: 'Customer', namespace: 'com.acme', fields: [{ name: 'home', type: 'com.acme.Address' }] };
    const registry = openRegistry(facade.url);
    await registry.register('com.acme.Address', address);
    const references = [{ name: 'com.acme.Address', subject: 'com.acme.Address', version: 1 }];
    const registered = await registry.register('customers-value', customer, references);
    expect(registered.references).toEqual(references);
    expect(await registry.getById(registered.id)).toEqual({ ...customer, fields: [{ name: 'home', type: address }] });

    const selfContained = { ...customer, fields: [{ name: 'home', type: address }] };
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, registered.id]), codecs.avroSchema(selfContained).encode({ home: { city: 'Oslo' } })]);
    // The reader registers its own (inlined) copy, so the referencing id is another writer: its type
    // comes through @kafkajs/confluent-schema-registry, which follows the reference.
    const reader = await registryWireFormat(registry).prepare('customers-copy', 'value', codecs.avroSchema<unknown>(selfContained));
    expect(reader.decode(bytes)).toBeInstanceOf(Promise);
    expect(await reader.decode(bytes)).toEqual({ home: { city: 'Oslo' } });
    expect(facade.requests.filter((r) => r.path === '/subjects/com.acme.Address/versions/1').length).toBeGreaterThan(0);
  });

  it('retries a registry that is briefly unavailable (503), and reports one that stays so', async () => {
    facade = await startConfluentFacade();
    facade.failNext(2, 503);
    expect(await openRegistry(facade.url).listSubjects()).toEqual([]);
    expect(facade.requests).toHaveLength(3);
    facade.failNext(1, 503);
    const error = await rejection<RegistryError>(openRegistry(facade.url, { retries: 0 }).listSubjects());
    expect(error.status).toBe(503);
    facade.failNext(1, 500);
    expect((await rejection<RegistryError>(openRegistry(facade.url).listSubjects())).status).toBe(500);
  });

  it('keeps fetching a writer schema while the registry is away, instead of failing the record', async () => {
    facade = await startConfluentFacade();
    const writer = await registryWireFormat(facade.registry).prepare('clicks', 'value', codecs.avroSchema<unknown>(click));
    const reader = await registryWireFormat(openRegistry(facade.url, { retries: 0 }), { fetchRetryMs: 60_000 }).prepare('clicks', 'value', codecs.avroSchema<unknown>(clickV2));
    facade.requests.length = 0;
    facade.failNext(3, 503);
    expect(await reader.decode(writer.encode({ user: 'u', count: 1 }))).toEqual({ user: 'u', count: 1, page: '/' });
    expect(facade.requests.filter((r) => r.path === '/schemas/ids/1')).toHaveLength(4);

    const impatient = await registryWireFormat(openRegistry(facade.url, { retries: 0 }), { fetchRetryMs: 0 }).prepare('clicks', 'value', codecs.avroSchema<unknown>(clickV2));
    facade.failNext(1, 503);
    await expect(impatient.decode(writer.encode({ user: 'u', count: 1 }))).rejects.toThrow(/cannot fetch writer schema id 1.*answered 503/);
  });

  it('answers an unknown id with a 404 RegistryError', async () => {
    facade = await startConfluentFacade();
    const error = await rejection<RegistryError>(openRegistry(facade.url).getById(77));
    expect(isRegistryError(error)).toBe(true);
    expect(error.status).toBe(404);
    expect(error.message).toContain('77');
  });

  it('fetches one writer id once for many concurrent decodes (one HTTP request)', async () => {
    facade = await startConfluentFacade();
    const writer = await registryWireFormat(facade.registry).prepare('clicks', 'value', codecs.avroSchema<unknown>(click));
    const reader = await registryWireFormat(openRegistry(facade.url)).prepare('clicks', 'value', codecs.avroSchema<unknown>(clickV2));
    facade.requests.length = 0;
    const decoded = await Promise.all(Array.from({ length: 10 }, (_, i) => reader.decode(writer.encode({ user: 'u', count: i }))));
    expect(decoded).toHaveLength(10);
    expect(decoded[9]).toEqual({ user: 'u', count: 9, page: '/' });
    expect(facade.requests.filter((r) => r.path.startsWith('/schemas/ids/'))).toEqual([
      { method: 'GET', path: '/schemas/ids/1', authorization: undefined },
    ]);
  });
});

describe('HttpRegistry basic auth', () => {
  const password = 'pa:ss w0rd/secret';
  const urlWith = (url: string, user: string, pass: string) =>
    url.replace('http://', `http://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@`);

  it('sends credentials from the URL on every request, and keeps them out of its url', async () => {
    facade = await startConfluentFacade({ username: 'alice', password });
    const registry = openRegistry(urlWith(facade.url, 'alice', password)) as HttpRegistry;
    await registry.register('clicks-value', click);
    expect(await registry.getById(1)).toEqual(click);
    expect(facade.requests.length).toBeGreaterThan(2);
    const expected = `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;
    expect(facade.requests.every((r) => r.authorization === expected)).toBe(true);
    expect(registry.url).toBe(facade.url);
    expect(inspect(registry, { depth: 5 })).not.toContain(password);
  });

  it('takes credentials from options too', async () => {
    facade = await startConfluentFacade({ username: 'bob', password });
    const registry = openRegistry(facade.url, { auth: { username: 'bob', password } });
    expect(await registry.listSubjects()).toEqual([]);
  });

  it('never shows the password in errors: wrong credentials, unknown ids, unreachable registry', async () => {
    facade = await startConfluentFacade({ username: 'alice', password: 'the-right-one' });
    const wrong = openRegistry(urlWith(facade.url, 'alice', password));
    const errors: unknown[] = [
      await rejection(wrong.register('clicks-value', click)),
      await rejection(wrong.getById(1)),
      await rejection(wrong.listSubjects()),
      await rejection(wrong.getWriterType!(1)),
    ];
    const closedUrl = facade.url;
    await facade.close();
    facade = undefined;
    const unreachable = openRegistry(urlWith(closedUrl, 'alice', password));
    errors.push(
      await rejection(unreachable.getLatest('clicks-value')),
      await rejection(unreachable.getById(3)),
      await rejection(unreachable.getWriterType!(3)),
    );

    expect((errors[0] as RegistryError).status).toBe(401);
    expect((errors[0] as Error).message).toContain('check the registry credentials');
    expect((errors[4] as Error).message).toMatch(/Cannot reach the schema registry at http:\/\/127\.0\.0\.1:\d+/);
    expect((errors[3] as RegistryError).status).toBe(401);
    for (const error of errors) {
      expect(isRegistryError(error)).toBe(true);
      const shown = `${(error as Error).message}\n${(error as Error).stack}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
      expect(shown).not.toContain(password);
      expect(shown).not.toContain(encodeURIComponent(password));
      expect(shown).not.toContain(Buffer.from(`alice:${password}`).toString('base64'));
    }
  });
});

describe('App with an http registry and credentials from the environment', () => {
  it('sends MEPHISTO_REGISTRY_USERNAME/PASSWORD on every request, and a wrong password fails start', async () => {
    const { App } = await import('../../src/app/index.js');
    const { memoryLogger } = await import('../../src/logging.js');
    const { defineTopic } = await import('../../src/serde/index.js');
    const { randomUUID } = await import('node:crypto');
    facade = await startConfluentFacade({ username: 'svc', password: 's3cret' });
    const topic = defineTopic({ name: 'clicks', key: codecs.string, value: codecs.avroSchema<unknown>(click), partitions: 1 });
    const app = new App('auth', { broker: `memory://auth-${randomUUID()}`, registry: facade.url, logger: memoryLogger(), env: { MEPHISTO_REGISTRY_USERNAME: 'svc', MEPHISTO_REGISTRY_PASSWORD: 's3cret' } });
    app.topic(topic);
    await app.start();
    await app.stop();
    expect(facade.requests.length).toBeGreaterThan(0);
    expect(facade.requests.every((r) => r.authorization === `Basic ${Buffer.from('svc:s3cret').toString('base64')}`)).toBe(true);
    const wrong = new App('auth', { broker: `memory://auth-${randomUUID()}`, registry: facade.url, logger: memoryLogger(), env: { MEPHISTO_REGISTRY_USERNAME: 'svc', MEPHISTO_REGISTRY_PASSWORD: 'nope' } });
    wrong.topic(topic);
    await expect(wrong.start()).rejects.toThrow(/401/);
    await wrong.stop().catch(() => undefined);
  });
});

describe('a codec prepared to read, over HTTP', () => {
  it('looks its schema up (no registration) and so decodes its own id in place; an unregistered one has no id and resolves', async () => {
    facade = await startConfluentFacade();
    const writer = await registryWireFormat(openRegistry(facade.url)).prepare('clicks', 'value', codecs.avroSchema<unknown>(click));
    const readerWire = registryWireFormat(openRegistry(facade.url));
    const reader = (await readerWire.prepare('clicks', 'value', codecs.avroSchema<unknown>(click), 'read')) as unknown as { schemaId: number; decode(b: Buffer): unknown };
    expect(reader.schemaId).toBe((writer as unknown as { schemaId: number }).schemaId);
    const other = (await readerWire.prepare('clicks', 'value', codecs.avroSchema<unknown>(clickV2), 'read')) as unknown as { schemaId: number; decode(b: Buffer): unknown };
    expect(other.schemaId).toBe(-1);
    expect(await other.decode(writer.encode({ user: 'u', count: 1 }))).toEqual({ user: 'u', count: 1, page: '/' });
    expect(facade.requests.filter((r) => r.method === 'POST' && /\/versions$/.test(r.path))).toHaveLength(1); // the writer's registration only
  });
});
