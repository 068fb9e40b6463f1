import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isConfigError, isStoreLockedError, isTableAccessError } from '../../src/errors.js';
import { codecs } from '../../src/serde/index.js';
import { createStore, type Store } from '../../src/store/index.js';

const run = promisify(execFile);

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}
const dirs: string[] = [];
const open: Store<unknown, unknown>[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-store-'));
  dirs.push(dir);
  return dir;
}

async function counts(url: string, table = 'counts'): Promise<Store<string, number>> {
  const store = createStore(url, { table, key: codecs.string, value: codecs.json<number>() });
  await store.open();
  open.push(store as Store<unknown, unknown>);
  return store;
}

afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const drivers = [
  ['memory://', () => 'memory://'],
  ['level://', () => `level://${tempDir()}`],
] as const;

describe.each(drivers)('%s store', (_name, url) => {
  it('reads, writes, deletes and iterates per partition through the cache', async () => {
    const store = await counts(url());
    await store.assign(0);
    await store.assign(1);
    store.set(0, 'a', 1);
    store.set(0, 'b', 2);
    store.set(1, 'a', 10);
    store.set(0, 'a', 3);
    expect(store.getSync(0, 'a')).toBe(3);
    expect(await store.get(1, 'a')).toBe(10);
    expect(store.getSync(1, 'b')).toBeUndefined();
    expect(store.has(0, 'b')).toBe(true);
    expect(store.delete(0, 'b')).toBe(true);
    expect(store.delete(0, 'b')).toBe(false);
    expect(store.has(0, 'b')).toBe(false);
    expect([...store.entries(0)]).toEqual([['a', 3]]);
    expect(store.size(1)).toBe(1);
    expect(store.partitions()).toEqual([0, 1]);
  });

  it('refuses a partition it does not hold, naming the table and partition', async () => {
    const store = await counts(url());
    await store.assign(0);
    expect(() => store.getSync(3, 'a')).toThrow(/Table counts partition 3: this worker does not hold/);
    expect(isTableAccessError(caught(() => store.set(3, 'a', 1)))).toBe(true);
  });

  it('applies changelog records, tombstones included', async () => {
    const store = await counts(url());
    await store.assign(2);
    store.applyChangelog(2, Buffer.from('x'), Buffer.from('5'));
    store.applyChangelog(2, Buffer.from('y'), Buffer.from('6'));
    store.applyChangelog(2, Buffer.from('x'), null);
    store.applyChangelog(2, Buffer.from('z'), null);
    expect([...store.entries(2)]).toEqual([['y', 6]]);
  });

  it('takes changes encoded in write order, leaving out an undo scope on request', async () => {
    const store = await counts(url());
    await store.assign(0);
    await store.assign(1);
    store.set(0, 'a', 1);
    store.set(0, 'b', 1);
    store.set(1, 'z', 7);
    store.mark(0); // an event begins: it changes a, deletes b and creates c
    store.set(0, 'a', 2);
    store.set(0, 'a', 3);
    store.delete(0, 'b');
    store.set(0, 'c', 1);
    const decode = (batch: { writes: readonly { key: Buffer; value: Buffer | null }[] }) =>
      batch.writes.map((w) => [w.key.toString(), w.value === null ? null : Number(w.value.toString())]);

    const first = store.takeChanges({ excludeMarked: (partition) => partition === 0 });
    expect(first.map((b) => b.partition)).toEqual([0, 1]);
    expect(decode(first[0]!)).toEqual([['a', 1], ['b', 1], ['c', null]]);
    expect(decode(first[1]!)).toEqual([['z', 7]]);
    // The scope's own changes stay pending and go out with the next take.
    expect(store.pending()).toBe(3);
    const second = store.takeChanges();
    expect(decode(second[0]!).sort()).toEqual([['a', 3], ['b', null], ['c', 1]]);
    expect(store.takeChanges()).toEqual([]);
    expect(store.getSync(0, 'a')).toBe(3);
  });

  it('counts pending changes once per key until flushed', async () => {
    const store = await counts(url());
    await store.assign(0);
    for (let i = 0; i < 100; i++) store.set(0, `k${i % 10}`, i);
    expect(store.pending()).toBe(10);
    await store.flush();
    expect(store.pending()).toBe(0);
  });
});

describe('level:// store', () => {
  it('persists data and checkpoints across a close and reopen, and keeps partitions apart', async () => {
    const dir = tempDir();
    const first = await counts(`level://${dir}`);
    await first.assign(0);
    await first.assign(1);
    first.set(0, 'a', 1);
    first.set(0, 'gone', 9);
    first.set(1, 'a', 100);
    first.setCheckpoint(0, { changelogOffset: '41' });
    await first.flush();
    first.delete(0, 'gone');
    first.set(0, 'a', 2);
    first.setCheckpoint(0, { changelogOffset: '43' });
    await first.close();

    const second = await counts(`level://${dir}`);
    expect(await second.assign(0)).toEqual({ changelogOffset: '43' });
    expect(await second.assign(1)).toBeUndefined();
    expect([...second.entries(0)]).toEqual([['a', 2]]);
    expect([...second.entries(1)]).toEqual([['a', 100]]);
  });

  it('keeps a table per subdirectory, and keys of any codec', async () => {
    const dir = tempDir();
    const store = createStore(`level://${dir}`, {
      table: 'by-id',
      key: codecs.avroSchema<number>('long'),
      value: codecs.json<{ n: number }>(),
    });
    await store.open();
    await store.assign(0);
    store.set(0, 7, { n: 1 });
    store.set(0, 700000, { n: 2 });
    store.set(0, 7, { n: 3 });
    expect(store.getSync(0, 7)).toEqual({ n: 3 });
    await store.close();
    const again = createStore(`level://${dir}`, {
      table: 'by-id',
      key: codecs.avroSchema<number>('long'),
      value: codecs.json<{ n: number }>(),
    });
    await again.open();
    await again.assign(0);
    expect(new Map(again.entries(0))).toEqual(new Map([[7, { n: 3 }], [700000, { n: 2 }]]));
    await again.close();
  });

  it('drops a revoked partition from memory after writing it', async () => {
    const dir = tempDir();
    const store = await counts(`level://${dir}`);
    await store.assign(5);
    store.set(5, 'k', 1);
    await store.revoke(5);
    expect(store.partitions()).toEqual([]);
    await store.assign(5);
    expect(store.getSync(5, 'k')).toBe(1);
  });

  it('fails a second open of one directory in the same process with a clear error', async () => {
    const dir = tempDir();
    await counts(`level://${dir}`);
    const error = await counts(`level://${dir}`).catch((e: unknown) => e);
    expect(isStoreLockedError(error)).toBe(true);
    expect((error as Error).message).toMatch(/store directory .*counts is locked by another worker/);
  });

  it('fails an open from another process while this one holds the directory', async () => {
    const dir = tempDir();
    const holder = await counts(`level://${dir}`);
    const script = join(import.meta.dirname, 'fixtures', 'open-store.ts');
    const locked = await run(process.execPath, ['--import', 'tsx', script, `level://${dir}`, 'counts']);
    expect(locked.stdout).toMatch(/^locked: Table counts: the store directory/);
    await holder.close();
    open.length = 0;
    const free = await run(process.execPath, ['--import', 'tsx', script, `level://${dir}`, 'counts']);
    expect(free.stdout).toBe('opened\n');
  });

  it('keeps data and checkpoint together when its process is killed with SIGKILL mid-write', async () => {
    const dir = tempDir();
    const script = join(import.meta.dirname, 'fixtures', 'write-until-killed.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, `level://${dir}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let written = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        written = Number(lines[lines.length - 1]);
        if (written >= 200) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
    });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // The OS released the LevelDB lock with the process; what is on disk is a whole number of batches.
    const store = createStore(`level://${dir}`, { table: 'progress', key: codecs.string, value: codecs.json<number>() });
    await store.open();
    const checkpoint = await store.assign(0);
    const batch = Number(checkpoint?.changelogOffset);
    expect(batch).toBeGreaterThanOrEqual(written);
    expect(store.getSync(0, 'last')).toBe(batch);
    for (const [key, value] of store.entries(0)) if (key !== 'last') expect(value).toBeLessThanOrEqual(batch);
    expect(Math.max(...[...store.entries(0)].map(([, value]) => value))).toBe(batch);
    await store.close();
  });

  it('rejects store URLs it does not know', () => {
    expect(() => createStore('redis://x', { table: 't', key: codecs.string, value: codecs.string })).toThrow(
      /unknown store URL "redis:\/\/x" for table t/,
    );
    expect(isConfigError(caught(() => createStore('level://', { table: 't', key: codecs.string, value: codecs.string })))).toBe(true);
  });
});
