import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startConfluentFacade, type ConfluentFacade } from './confluent-facade.js';

/** `mephisto codegen --registry` as a user runs it, against a registry over HTTP. */
const bin = fileURLToPath(new URL('../../bin/mephisto.js', import.meta.url));

function mephisto(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const address = { type: 'record', name: 'Address', namespace: 'com.shop', fields: [{ name: 'city', type: 'string' }] };
const order = {
  type: 'record',
  name: 'Order',
  namespace: 'com.shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'ship', type: 'com.shop.Address' },
  ],
};

let facade: ConfluentFacade | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await facade?.close();
  facade = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function shop(): Promise<{ url: string; dir: string }> {
  facade = await startConfluentFacade({ username: 'gen', password: 'gen-secret-pw' });
  await facade.registry.register('com.shop.Address', address);
  await facade.registry.register('orders-value', order, [{ name: 'com.shop.Address', subject: 'com.shop.Address', version: 1 }]);
  await facade.registry.register('orders-value', { ...order, fields: [...order.fields, { name: 'note', type: 'string', default: '' }] }, [
    { name: 'com.shop.Address', subject: 'com.shop.Address', version: 1 },
  ]);
  await facade.registry.register('orders-key', 'long');
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-codegen-registry-'));
  dirs.push(dir);
  return { url: facade.url, dir };
}

const auth = { MEPHISTO_REGISTRY_USERNAME: 'gen', MEPHISTO_REGISTRY_PASSWORD: 'gen-secret-pw' };

describe('mephisto codegen --registry', { timeout: 120_000 }, () => {
  it('pulls matching subjects with their references, derives the binding, and generates', async () => {
    const { url, dir } = await shop();
    const schemas = join(dir, 'schemas');
    const out = join(dir, 'generated');
    const run = await mephisto(['codegen', '--registry', url, '--subject', 'orders-*', '--schemas', schemas, '--out', out], auth);
    expect(run.out).toContain('pulled orders-key v1, orders-value v2');
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(schemas, 'topics.json'), 'utf8'))).toEqual({ topics: { orders: { key: 'long', value: 'com.shop.Order' } } });
    expect(existsSync(join(schemas, 'com/shop/Address.avsc'))).toBe(true);
    expect(readFileSync(join(out, 'topics.ts'), 'utf8')).toMatch(/name: 'orders'/);
    expect(readFileSync(join(out, 'com/shop/Order.ts'), 'utf8')).toContain('note');
    expect(run.out).not.toContain('gen-secret-pw');
  });

  it('pins --version, and exits 2 on bad input without writing', async () => {
    const { url, dir } = await shop();
    const schemas = join(dir, 'schemas');
    const out = join(dir, 'generated');
    const pinned = await mephisto(['codegen', '--registry', url, '--subject', 'orders-value', '--version', '1', '--schemas', schemas, '--out', out], auth);
    expect(pinned.code).toBe(0);
    expect(readFileSync(join(out, 'com/shop/Order.ts'), 'utf8')).not.toContain('note');

    const none = await mephisto(['codegen', '--registry', url, '--subject', 'payments-*', '--schemas', join(dir, 'other'), '--out', join(dir, 'other-out')], auth);
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/no subject of the registry matches payments-\*/);
    expect(existsSync(join(dir, 'other'))).toBe(false);

    const badVersion = await mephisto(['codegen', '--registry', url, '--version', 'latest', '--schemas', schemas, '--out', out], auth);
    expect(badVersion.code).toBe(2);

    const unauthorized = await mephisto(['codegen', '--registry', url, '--schemas', schemas, '--out', out]);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.out).toContain('answered 401');
  });
});
