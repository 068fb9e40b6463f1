import { describe, expect, it } from 'vitest';
import {
  isConfigError,
  isRegistryError,
  isSchemaIncompatibleError,
  type RegistryError,
  type SchemaIncompatibleError,
} from '../../src/errors.js';
import { MemoryRegistry, openRegistry, registryAuthFromEnv } from '../../src/registry/index.js';

const clickV1 = {
  type: 'record',
  name: 'Click',
  namespace: 'com.acme',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'count', type: 'int' },
  ],
} as const;

const clickV2 = {
  ...clickV1,
  fields: [...clickV1.fields, { name: 'page', type: 'string', default: '/' }],
} as const;

const clickWithRequiredField = {
  ...clickV1,
  fields: [...clickV1.fields, { name: 'page', type: 'string' }],
} as const;

async function rejection<T>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  throw new Error('expected a rejection');
}

describe('MemoryRegistry: ids, subjects, versions', () => {
  it('gives one global id per identical schema, shared across subjects', async () => {
    const registry = new MemoryRegistry();
    const a = await registry.register('clicks-value', clickV1);
    const b = await registry.register('archive-value', clickV1);
    const c = await registry.register('clicks-value', clickV2);
    expect(a.id).toBe(b.id);
    expect(c.id).not.toBe(a.id);
    expect([a.version, b.version, c.version]).toEqual([1, 1, 2]);
  });

  it('is idempotent: registering the same schema again returns the existing version', async () => {
    const registry = new MemoryRegistry();
    const first = await registry.register('clicks-value', clickV1);
    await registry.register('clicks-value', clickV2);
    const again = await registry.register('clicks-value', clickV1);
    expect(again).toEqual(first);
    expect(await registry.listVersions('clicks-value')).toEqual([1, 2]);
  });

  it('treats one schema written with a namespace or with full names as the same schema', async () => {
    const registry = new MemoryRegistry();
    const short = await registry.register('clicks-value', clickV2);
    const full = {
      type: 'record',
      name: 'com.acme.Click',
      fields: [...clickV2.fields],
    };
    expect(await registry.lookup('clicks-value', full)).toEqual(short);
    expect((await registry.register('other-value', full)).id).toBe(short.id);
  });

  it('treats schemas that differ only in a default as different schemas', async () => {
    const registry = new MemoryRegistry();
    const withDefault = { ...clickV2, fields: [...clickV1.fields, { name: 'page', type: 'string', default: '/home' }] };
    const a = await registry.register('clicks-value', clickV2);
    const b = await registry.register('clicks-value', withDefault);
    expect(b.id).not.toBe(a.id);
  });

  it('serves latest, pinned versions, subjects and schemas by id', async () => {
    const registry = new MemoryRegistry();
    const v1 = await registry.register('clicks-value', clickV1);
    const v2 = await registry.register('clicks-value', clickV2);
    await registry.register('clicks-key', 'string');
    expect((await registry.getLatest('clicks-value')).id).toBe(v2.id);
    expect((await registry.getVersion('clicks-value', 1)).schema).toEqual(clickV1);
    expect(await registry.listSubjects()).toEqual(['clicks-key', 'clicks-value']);
    expect(await registry.getById(v1.id)).toEqual(clickV1);
    expect(await registry.getById((await registry.getLatest('clicks-key')).id)).toBe('string');
  });

  it('looks up without registering', async () => {
    const registry = new MemoryRegistry();
    expect(await registry.lookup('clicks-value', clickV1)).toBeUndefined();
    const registered = await registry.register('clicks-value', clickV1);
    expect(await registry.lookup('clicks-value', clickV1)).toEqual(registered);
    expect(await registry.lookup('clicks-value', clickV2)).toBeUndefined();
    expect(await registry.listVersions('clicks-value')).toEqual([1]);
  });

  it('answers 404 RegistryErrors for unknown ids, subjects and versions', async () => {
    const registry = new MemoryRegistry();
    await registry.register('clicks-value', clickV1);
    const unknownId = await rejection<RegistryError>(registry.getById(99));
    expect(isRegistryError(unknownId)).toBe(true);
    expect(unknownId.status).toBe(404);
    expect(unknownId.message).toContain('99');
    const unknownSubject = await rejection<RegistryError>(registry.getLatest('nope-value'));
    expect(unknownSubject.errorCode).toBe(40401);
    const unknownVersion = await rejection<RegistryError>(registry.getVersion('clicks-value', 7));
    expect(unknownVersion.errorCode).toBe(40402);
    expect(unknownVersion.message).toContain('versions: 1');
  });

  it('rejects an invalid Avro schema with the subject and the parser message', async () => {
    const registry = new MemoryRegistry();
    const error = await rejection<RegistryError>(registry.register('bad-value', { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nosuch' }] }));
    expect(isRegistryError(error)).toBe(true);
    expect(error.status).toBe(422);
    expect(error.message).toContain('bad-value');
    expect(error.message).toContain('nosuch');
  });
});

describe('MemoryRegistry: compatibility', () => {
  it('is BACKWARD by default and refuses a new required field, naming it', async () => {
    const registry = new MemoryRegistry();
    expect(await registry.getCompatibility()).toBe('BACKWARD');
    await registry.register('clicks-value', clickV1);
    const check = await registry.checkCompatibility('clicks-value', clickWithRequiredField);
    expect(check.compatible).toBe(false);
    expect(check.messages.join('\n')).toMatch(/com\.acme\.Click\.page.*no default/);
    const error = await rejection<SchemaIncompatibleError>(registry.register('clicks-value', clickWithRequiredField));
    expect(isSchemaIncompatibleError(error)).toBe(true);
    expect(error.subject).toBe('clicks-value');
    expect(error.message).toContain('com.acme.Click.page');
    expect(await registry.listVersions('clicks-value')).toEqual([1]);
  });

  it('accepts any schema for a subject without versions', async () => {
    const registry = new MemoryRegistry();
    expect(await registry.checkCompatibility('new-value', clickWithRequiredField)).toEqual({ compatible: true, messages: [] });
  });

  it('lets a subject level override the global one', async () => {
    const registry = new MemoryRegistry();
    await registry.register('clicks-value', clickV1);
    await registry.register('loose-value', clickV1);
    await registry.setCompatibility('NONE', 'loose-value');
    expect(await registry.getCompatibility('loose-value')).toBe('NONE');
    expect(await registry.getCompatibility('clicks-value')).toBe('BACKWARD');
    expect((await registry.register('loose-value', clickWithRequiredField)).version).toBe(2);
    await expect(registry.register('clicks-value', clickWithRequiredField)).rejects.toThrow(/not compatible/);
  });

  it('FORWARD: the old schema must read the new data (removing a required field breaks it)', async () => {
    const registry = new MemoryRegistry();
    await registry.setCompatibility('FORWARD');
    await registry.register('clicks-value', clickV1);
    const withoutCount = { ...clickV1, fields: [clickV1.fields[0]] };
    const check = await registry.checkCompatibility('clicks-value', withoutCount);
    expect(check.compatible).toBe(false);
    expect(check.messages[0]).toMatch(/version 1 cannot read.*com\.acme\.Click\.count/);
    // A new required field is fine FORWARD (old readers ignore it) but not BACKWARD.
    expect((await registry.checkCompatibility('clicks-value', clickWithRequiredField)).compatible).toBe(true);
  });

  it('FULL needs both directions', async () => {
    const registry = new MemoryRegistry();
    await registry.setCompatibility('FULL', 'clicks-value');
    await registry.register('clicks-value', clickV1);
    expect((await registry.checkCompatibility('clicks-value', clickWithRequiredField)).compatible).toBe(false);
    expect((await registry.checkCompatibility('clicks-value', clickV2)).compatible).toBe(true);
  });

  it('transitive levels check every version, the plain ones only the latest', async () => {
    const v1 = { type: 'record', name: 'R', fields: [{ name: 'f', type: 'int' }] };
    const v2 = { type: 'record', name: 'R', fields: [] };
    const v3 = { type: 'record', name: 'R', fields: [{ name: 'f', type: 'string', default: '' }] };
    const plain = new MemoryRegistry();
    await plain.register('r', v1);
    await plain.register('r', v2);
    expect((await plain.checkCompatibility('r', v3)).compatible).toBe(true);

    const transitive = new MemoryRegistry();
    await transitive.setCompatibility('BACKWARD_TRANSITIVE');
    await transitive.register('r', v1);
    await transitive.register('r', v2);
    const check = await transitive.checkCompatibility('r', v3);
    expect(check.compatible).toBe(false);
    expect(check.messages).toHaveLength(1);
    expect(check.messages[0]).toMatch(/version 1.*R\.f: the writer's int cannot be read as string/);
  });

  it('refuses unknown levels with a ConfigError', async () => {
    const registry = new MemoryRegistry();
    const error = await rejection(registry.setCompatibility('SIDEWAYS' as never));
    expect(isConfigError(error)).toBe(true);
  });
});

describe('MemoryRegistry: schema references', () => {
  const address = {
    type: 'record',
    name: 'Address',
    namespace: 'com.acme',
    fields: [{ name: 'city', type: 'string' }],
  };
  const customer = {
    type: 'record',
    name: 'Customer',
    namespace: 'com.acme',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'home', type: 'com.acme.Address' },
      { name: 'work', type: ['null', 'com.acme.Address'], default: null },
    ],
  };

  it('registers a schema naming a type registered under another subject, and serves it self-contained by id', async () => {
    const registry = new MemoryRegistry();
    await registry.register('com.acme.Address', address);
    const references = [{ name: 'com.acme.Address', subject: 'com.acme.Address', version: 1 }];
    const registered = await registry.register('customers-value', customer, references);
    expect(registered.references).toEqual(references);
    expect((await registry.getLatest('customers-value')).schema).toEqual(customer);
    const selfContained = (await registry.getById(registered.id)) as unknown as { fields: { type: unknown }[] };
    expect(selfContained.fields[1]!.type).toEqual(address);
    expect(selfContained.fields[2]!.type).toEqual(['null', 'com.acme.Address']);
    expect(await registry.lookup('customers-value', customer, references)).toEqual(registered);
  });

  it('says which reference is missing', async () => {
    const registry = new MemoryRegistry();
    const error = await rejection<RegistryError>(
      registry.register('customers-value', customer, [{ name: 'com.acme.Address', subject: 'com.acme.Address', version: 1 }]),
    );
    expect(error.message).toMatch(/com\.acme\.Address.*not registered.*register it first/);
  });
});

describe('openRegistry', () => {
  it('opens a fresh registry for memory:// and a shared one per memory://NAME', async () => {
    const fresh1 = openRegistry('memory://');
    const fresh2 = openRegistry('memory://');
    expect(fresh1).not.toBe(fresh2);
    const named = openRegistry('memory://registry-test-shared');
    expect(openRegistry('memory://registry-test-shared')).toBe(named);
    await named.register('x-value', 'string');
    expect(await openRegistry('memory://registry-test-shared').listSubjects()).toContain('x-value');
  });

  it('reads basic-auth credentials from the environment when asked', () => {
    expect(registryAuthFromEnv({ MEPHISTO_REGISTRY_USERNAME: 'u', MEPHISTO_REGISTRY_PASSWORD: 'p' })).toEqual({ auth: { username: 'u', password: 'p' } });
    expect(registryAuthFromEnv({ MEPHISTO_REGISTRY_PASSWORD: 'p' })).toEqual({});
  });

  it('returns a given registry as is', () => {
    const registry = new MemoryRegistry();
    expect(openRegistry(registry)).toBe(registry);
  });

  it('refuses other schemes without echoing credentials', () => {
    let error: unknown;
    try {
      openRegistry('ftp://alice:s3cret-pw@host/');
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toContain('ftp://***@host/');
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
