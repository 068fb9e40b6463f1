import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generate } from '../../codegen/generate.js';
import {
  checkSubjects,
  localSubjects,
  mergeManifest,
  pullForCodegen,
  pullSubjects,
  pushSubjects,
  readSchemaDir,
  writePulledSchemas,
} from '../../codegen/registry-source.js';
import { isConfigError, isSchemaError } from '../../src/errors.js';
import { MemoryRegistry } from '../../src/registry/index.js';

const address = {
  type: 'record',
  name: 'Address',
  namespace: 'com.shop.common',
  fields: [{ name: 'city', type: 'string' }],
};
const order = {
  type: 'record',
  name: 'Order',
  namespace: 'com.shop.orders',
  doc: 'An order.',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'ship', type: 'com.shop.common.Address' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'UNKNOWN'], default: 'UNKNOWN' }, default: 'NEW' },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } }] } } },
  ],
};

async function shopRegistry(): Promise<MemoryRegistry> {
  const registry = new MemoryRegistry();
  await registry.register('com.shop.common.Address', address);
  await registry.register('orders-value', order, [{ name: 'com.shop.common.Address', subject: 'com.shop.common.Address', version: 1 }]);
  await registry.register('orders-key', 'long');
  await registry.register('audit-value', { type: 'record', name: 'Audit', namespace: 'com.shop', fields: [{ name: 'who', type: 'string' }] });
  await registry.register('audit-key', 'string');
  return registry;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-registry-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('pullSubjects', () => {
  it('splits matched subjects and their references into one file per named type, losslessly', async () => {
    const pulled = await pullSubjects(await shopRegistry(), { subjects: ['orders-*'] });
    expect(pulled.subjects.map((s) => s.subject)).toEqual(['orders-key', 'orders-value']);
    expect(pulled.files.map((f) => f.path)).toEqual([
      'com/shop/common/Address.avsc',
      'com/shop/orders/Line.avsc',
      'com/shop/orders/Order.avsc',
      'com/shop/orders/Status.avsc',
    ]);
    const orderFile = JSON.parse(pulled.files.find((f) => f.path.endsWith('Order.avsc'))!.text);
    expect(orderFile).toMatchObject({ type: 'record', name: 'Order', namespace: 'com.shop.orders', doc: 'An order.' });
    expect(orderFile.fields.map((f: { type: unknown }) => f.type)).toEqual([
      'string',
      'com.shop.common.Address',
      'com.shop.orders.Status',
      { type: 'array', items: 'com.shop.orders.Line' },
    ]);
    const status = JSON.parse(pulled.files.find((f) => f.path.endsWith('Status.avsc'))!.text);
    expect(status.default).toBe('UNKNOWN');
    const line = JSON.parse(pulled.files.find((f) => f.path.endsWith('Line.avsc'))!.text);
    expect(line.fields[1].type).toEqual({ type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 });
    expect(pulled.topics).toEqual({ orders: { key: 'long', value: 'com.shop.orders.Order' } });
  });

  it('takes every subject without patterns, and raw-string Avro keys as { avro: "string" }', async () => {
    const pulled = await pullSubjects(await shopRegistry());
    expect(pulled.subjects).toHaveLength(5);
    expect(pulled.topics.audit).toEqual({ key: { avro: 'string' }, value: 'com.shop.Audit' });
  });

  it('pins a version', async () => {
    const registry = await shopRegistry();
    await registry.register('audit-value', { type: 'record', name: 'Audit', namespace: 'com.shop', fields: [{ name: 'who', type: 'string' }, { name: 'when', type: 'long', default: 0 }] });
    const latest = await pullSubjects(registry, { subjects: ['audit-value'] });
    const pinned = await pullSubjects(registry, { subjects: ['audit-value'], version: 1 });
    expect(JSON.parse(latest.files[0]!.text).fields).toHaveLength(2);
    expect(JSON.parse(pinned.files[0]!.text).fields).toHaveLength(1);
    expect(pinned.subjects).toEqual([{ subject: 'audit-value', version: 1, id: (await registry.getVersion('audit-value', 1)).id }]);
  });

  it('says which subjects there are when no pattern matches', async () => {
    const error = await pullSubjects(await shopRegistry(), { subjects: ['payments-*'] }).catch((e: unknown) => e);
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(/no subject of the registry matches payments-\*.*audit-key/);
  });

  it('refuses one type defined two ways by two subjects', async () => {
    const registry = await shopRegistry();
    await registry.register('other-value', { type: 'record', name: 'Holder', namespace: 'com.shop', fields: [{ name: 'a', type: { ...address, fields: [{ name: 'zip', type: 'int' }] } }] });
    const error = await pullSubjects(registry, { subjects: ['orders-value', 'other-value'] }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/com\.shop\.common\.Address is defined differently in .* and in other-value version 1/);
  });
});

describe('mergeManifest', () => {
  it("keeps a topic's settings, takes the registry's types, and adds new topics with a raw string key", () => {
    const existing = JSON.stringify({ topics: { orders: { key: 'string', value: 'com.old.Order', partitions: 6, config: { 'cleanup.policy': 'compact' } } } });
    const merged = JSON.parse(mergeManifest(existing, { orders: { value: 'com.shop.orders.Order' }, audit: { value: 'com.shop.Audit' }, lonely: { key: 'long' } }));
    expect(merged).toEqual({
      topics: {
        orders: { key: 'string', value: 'com.shop.orders.Order', partitions: 6, config: { 'cleanup.policy': 'compact' } },
        audit: { key: 'string', value: 'com.shop.Audit' },
      },
    });
  });

  it('refuses a manifest that is not JSON', () => {
    expect(() => mergeManifest('{ nope', {})).toThrow(/topics\.json: cannot merge topic bindings into topics\.json: it is not JSON/);
  });
});

describe('writePulledSchemas, then the usual generation', () => {
  it('writes files and manifest that generate typed bindings', async () => {
    const dir = tempDir();
    const pulled = await pullSubjects(await shopRegistry(), { subjects: ['orders-*', 'audit-*'] });
    const written = writePulledSchemas(dir, pulled);
    expect(written).toContain('topics.json');
    expect(existsSync(join(dir, 'com/shop/orders/Order.avsc'))).toBe(true);
    const files = generate(readSchemaDir(dir));
    const topics = files.find((f) => f.path === 'topics.ts')!.content;
    expect(topics).toMatch(/name: 'orders'/);
    expect(topics).toMatch(/codecs\.model\(Order\)/);
    expect(topics).toMatch(/codecs\.avroSchema<number>\('long'\)/);
    expect(files.some((f) => f.path.endsWith('Line.ts'))).toBe(true);
  });

  it('writes nothing when a local file defines a pulled type elsewhere', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'legacy'));
    writeFileSync(join(dir, 'legacy', 'address.avsc'), JSON.stringify(address));
    const pulled = await pullSubjects(await shopRegistry(), { subjects: ['orders-value'] });
    let error: unknown;
    try {
      writePulledSchemas(dir, pulled);
    } catch (e) {
      error = e;
    }
    expect(isSchemaError(error)).toBe(true);
    expect((error as Error).message).toMatch(/duplicate full name com\.shop\.common\.Address/);
    expect(existsSync(join(dir, 'com'))).toBe(false);
    expect(existsSync(join(dir, 'topics.json'))).toBe(false);
  });

  it('pullForCodegen reports what it pulled and exits 2 on a bad version', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const io = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
    expect(await pullForCodegen({ registry: 'memory://registry-source-test', subject: ['x'], version: 'two', schemas: dir }, io)).toBe(2);
    expect(lines.pop()).toMatch(/--version: expected a version number/);
    const registry = (await import('../../src/registry/index.js')).openRegistry('memory://registry-source-test');
    await registry.register('audit-value', { type: 'record', name: 'Audit', namespace: 'com.shop', fields: [] });
    expect(await pullForCodegen({ registry: 'memory://registry-source-test', subject: ['audit-*'], schemas: dir }, io)).toBe(0);
    expect(lines.pop()).toMatch(/pulled audit-value v1 from memory:\/\/registry-source-test; wrote 2 files/);
    expect(JSON.parse(readFileSync(join(dir, 'topics.json'), 'utf8'))).toEqual({ topics: { audit: { key: 'string', value: 'com.shop.Audit' } } });
  });
});

describe('localSubjects, checkSubjects, pushSubjects', () => {
  function schemaDir(orderFields: unknown[]): string {
    const dir = tempDir();
    mkdirSync(join(dir, 'com'), { recursive: true });
    writeFileSync(join(dir, 'com', 'Order.avsc'), JSON.stringify({ type: 'record', name: 'Order', namespace: 'com.shop', fields: orderFields }));
    writeFileSync(join(dir, 'topics.json'), JSON.stringify({ topics: { orders: { key: 'long', value: 'com.shop.Order' }, raw: { key: 'string', value: 'bytes' } } }));
    return dir;
  }

  it('maps every Avro key and value of the manifest to its subject; raw parts are not registered', () => {
    const subjects = localSubjects(readSchemaDir(schemaDir([{ name: 'id', type: 'string' }])));
    expect(subjects.map((s) => [s.subject, s.typeName, s.usedBy])).toEqual([
      ['orders-key', 'long', ['orders (key)']],
      ['orders-value', 'com.shop.Order', ['orders (value)']],
    ]);
    expect(subjects[1]!.schema).toEqual({ type: 'record', name: 'com.shop.Order', fields: [{ name: 'id', type: 'string' }] });
    const byRecord = localSubjects(readSchemaDir(schemaDir([])), { subjectNameStrategy: 'record' });
    expect(byRecord.map((s) => s.subject)).toEqual(['com.shop.Order', 'orders-key']);
  });

  it('checks, pushes, and explains what breaks', async () => {
    const registry = new MemoryRegistry();
    const v1 = localSubjects(readSchemaDir(schemaDir([{ name: 'id', type: 'string' }])));
    expect((await checkSubjects(registry, v1)).map((c) => c.status)).toEqual(['new', 'new']);
    expect((await pushSubjects(registry, v1)).map((p) => [p.status, p.version])).toEqual([['registered', 1], ['registered', 1]]);
    expect((await checkSubjects(registry, v1)).map((c) => c.status)).toEqual(['registered', 'registered']);
    expect((await pushSubjects(registry, v1)).map((p) => p.status)).toEqual(['unchanged', 'unchanged']);

    const v2 = localSubjects(readSchemaDir(schemaDir([{ name: 'id', type: 'string' }, { name: 'note', type: 'string', default: '' }])));
    expect((await checkSubjects(registry, v2)).map((c) => c.status)).toEqual(['registered', 'compatible']);

    const broken = localSubjects(readSchemaDir(schemaDir([{ name: 'id', type: 'long' }])));
    const checks = await checkSubjects(registry, broken);
    expect(checks[1]).toMatchObject({ subject: 'orders-value', status: 'incompatible', level: 'BACKWARD', latestVersion: 1 });
    expect(checks[1]!.messages.join('\n')).toMatch(/com\.shop\.Order\.id: the writer's string cannot be read as long/);
    const pushes = await pushSubjects(registry, broken);
    expect(pushes[1]!.status).toBe('incompatible');
    expect(await registry.listVersions('orders-value')).toEqual([1]);
  });

  it('is a SchemaError (every problem, with its file) on bad schemas', () => {
    const dir = schemaDir([{ name: 'id', type: 'nosuch' }]);
    let error: unknown;
    try {
      localSubjects(readSchemaDir(dir));
    } catch (e) {
      error = e;
    }
    expect(isSchemaError(error)).toBe(true);
    expect((error as Error).message).toContain('com/Order.avsc');
  });
});
