import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { isStoreLockedError, isTableAccessError, isTablePartitionsError, isTopicMismatchError } from '../../src/errors.js';
import { codecs } from '../../src/serde/index.js';
import { App } from '../../src/app/app.js';
import { silentLogger } from '../../src/logging.js';
import { defineTable, type InferTableKey, type InferTableValue, type Table } from '../../src/tables/index.js';
import { SOURCES_HEADER } from '../../src/tables/state.js';
import { partitionForKey } from '../../src/transport/partitioner.js';
import type { TopicPartition } from '../../src/transport/types.js';
import { dropBroker, freshBrokerUrl, removeDir, tempDir, Worker } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dir(): string {
  const d = tempDir();
  cleanups.push(() => removeDir(d));
  return d;
}

function broker(partitions = 2): string {
  const url = freshBrokerUrl();
  cleanups.push(() => dropBroker(url));
  return url;
}

const both: TopicPartition[] = [
  { topic: 'clicks', partition: 0 },
  { topic: 'clicks', partition: 1 },
];

/** A fixed click stream: 1,000 clicks over 37 URLs, each on its key's partition, as Kafka would. */
function clicks(): Array<{ url: string; partition: number; offset: number }> {
  const next = [0, 0];
  const out: Array<{ url: string; partition: number; offset: number }> = [];
  for (let i = 0; i < 1000; i++) {
    const url = `/page/${(i * 7919) % 37}`;
    const partition = partitionForKey(Buffer.from(url), 2);
    out.push({ url, partition, offset: next[partition]!++ });
  }
  return out;
}

function oracle(events: ReturnType<typeof clicks>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { url } of events) counts.set(url, (counts.get(url) ?? 0) + 1);
  return counts;
}

async function worker(url: string, storeUrl: string, data = dir()) {
  const w = new Worker(url, data, storeUrl);
  const admin = w.transport.admin();
  await admin.createTopics([{ topic: 'clicks', partitions: 2 }]);
  const counts = defineTable(w, 'counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'clicks' });
  cleanups.push(async () => {
    if (w.running) await w.crash();
  });
  return { w, counts };
}

function countClick(w: Worker, counts: Table<string, number, never>, click: { url: string; partition: number; offset: number }): void {
  w.process({ topic: 'clicks', partition: click.partition, offset: click.offset }, () => {
    counts.set(click.url, counts.get(click.url) + 1);
  });
}

function snapshot(counts: Table<string, number, never>): Map<string, number> {
  return new Map([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function sorted(map: Map<string, number>): Map<string, number> {
  return new Map([...map].sort(([a], [b]) => a.localeCompare(b)));
}

describe('a table of click counts on a level store', () => {
  it('survives a crash between the changelog send and the offset commit, and restarts replaying only the tail', async () => {
    const url = broker();
    const data = dir();
    const events = clicks();
    const first = await worker(url, `level://${data}`, data);
    await first.w.start(both);
    for (const [i, click] of events.slice(0, 700).entries()) {
      countClick(first.w, first.counts, click);
      if (i % 100 === 99) await first.w.commit();
    }
    // 700..799 are processed; the commit sends their changes to the changelog, then the worker
    // dies before its store write and before the offsets are committed.
    for (const click of events.slice(700, 800)) countClick(first.w, first.counts, click);
    const store = first.counts.state.store;
    const tailKeys = new Set(events.slice(700, 800).map((c) => `${c.partition}:${c.url}`)).size;
    store.write = () => Promise.reject(new Error('killed before the store write'));
    await first.w.beforeCommit(); // the changelog has 700..799; the offsets are never committed
    for (const click of events.slice(800, 850)) countClick(first.w, first.counts, click); // never committed
    await first.w.crash();

    const second = await worker(url, `level://${data}`, data);
    await second.w.start(both);
    const replayed = second.counts.recoveries.reduce((sum, r) => sum + r.records, 0);
    expect(replayed).toBe(tailKeys);
    expect(second.counts.recoveries.every((r) => r.from !== undefined)).toBe(true);
    // The group resumes from the committed offsets (those of event 699): events 700..799 are
    // replayed but already in the changelog, so their writes are skipped; 800.. count anew.
    const committed = first.w.committed;
    const resume = events.filter((c) => c.offset >= Number(committed.get(`clicks\u0000${c.partition}`) ?? 0));
    expect(resume.length).toBe(300);
    for (const click of resume) countClick(second.w, second.counts, click);
    expect(second.counts.state.skippedReplays).toBe(100);
    expect(snapshot(second.counts)).toEqual(sorted(oracle(events)));
    await second.w.stop();

    // Against an empty directory the whole changelog is restored, to the same counts.
    const third = await worker(url, `level://${dir()}`);
    await third.w.start(both);
    const changelogEnd = (await third.w.transport.admin().fetchTopicOffsets('clicks-app-counts-changelog')).reduce((s, o) => s + Number(o.high), 0);
    expect(third.counts.recoveries.reduce((sum, r) => sum + r.records, 0)).toBe(changelogEnd);
    expect(third.counts.recoveries.every((r) => r.from === undefined)).toBe(true);
    expect(snapshot(third.counts)).toEqual(sorted(oracle(events)));
    // And against the same directory after a clean stop, nothing is replayed.
    await third.w.stop();
    const fourth = await worker(url, `level://${data}`, data);
    await fourth.w.start(both);
    expect(fourth.counts.recoveries.map((r) => r.records)).toEqual([0, 0]);
    expect(snapshot(fourth.counts)).toEqual(sorted(oracle(events)));
  });

  it('loses nothing and counts nothing twice when killed between commits', async () => {
    const url = broker();
    const data = dir();
    const events = clicks();
    const first = await worker(url, `level://${data}`, data);
    await first.w.start(both);
    for (const [i, click] of events.slice(0, 640).entries()) {
      countClick(first.w, first.counts, click);
      if (i % 128 === 127) await first.w.commit();
    }
    await first.w.crash();
    const second = await worker(url, `level://${data}`, data);
    await second.w.start(both);
    expect(second.counts.recoveries.map((r) => r.records)).toEqual([0, 0]);
    for (const click of events.filter((c) => c.offset >= Number(first.w.committed.get(`clicks\u0000${c.partition}`) ?? 0))) {
      countClick(second.w, second.counts, click);
    }
    expect(second.counts.state.skippedReplays).toBe(0);
    expect(snapshot(second.counts)).toEqual(sorted(oracle(events)));
  });

  it('leaves the writes of an event still in progress out of the commit, and sends them with the next', async () => {
    const url = broker();
    const { w, counts } = await worker(url, 'memory://');
    await w.start(both);
    w.process({ topic: 'clicks', partition: 0, offset: 0 }, () => counts.set('a', 1));
    w.process({ topic: 'clicks', partition: 0, offset: 1 }, () => {
      counts.set('a', 2);
      counts.set('b', 1);
    });
    // The runtime commits offset 1: event 1 is still running (its handler awaits something).
    await w.commit([{ topic: 'clicks', partition: 0, offset: '1' }]);
    const read = async () => {
      const out: Array<[string, string | null, string | undefined]> = [];
      for await (const records of w.transport.readPartition('clicks-app-counts-changelog', 0)) {
        for (const r of records) out.push([r.key!.toString(), r.value?.toString() ?? null, r.headers[SOURCES_HEADER]?.toString()]);
      }
      return out;
    };
    expect(await read()).toEqual([
      ['a', '1', undefined],
      ['b', null, '{"clicks":"1"}'],
    ]);
    await w.commit([{ topic: 'clicks', partition: 0, offset: '2' }]);
    expect((await read()).slice(2).sort()).toEqual([
      ['a', '2', undefined],
      ['b', '1', '{"clicks":"2"}'],
    ].sort());
  });

  it('restores everything from the changelog on every start with the memory store', async () => {
    const url = broker();
    const events = clicks().slice(0, 300);
    const first = await worker(url, 'memory://');
    await first.w.start(both);
    for (const click of events) countClick(first.w, first.counts, click);
    await first.w.stop();
    const second = await worker(url, 'memory://');
    await second.w.start(both);
    expect(second.counts.recoveries.every((r) => r.from === undefined && r.records > 0)).toBe(true);
    expect(snapshot(second.counts)).toEqual(sorted(oracle(events)));
  });

  it('logs recovery progress with records, rate and remaining', async () => {
    const url = broker();
    const first = await worker(url, 'memory://');
    await first.w.start(both);
    for (const click of clicks()) countClick(first.w, first.counts, click);
    await first.w.stop();
    const second = await worker(url, 'memory://');
    await second.w.start(both);
    const done = second.w.logger.entries.filter((e) => e.message === 'table partition recovered');
    expect(done.map((e) => e.fields?.partition)).toEqual([0, 1]);
    for (const entry of done) {
      expect(entry.fields).toMatchObject({ table: 'counts', remaining: 0 });
      expect(entry.fields?.restored).toBeGreaterThan(0);
      expect(typeof entry.fields?.recordsPerSecond).toBe('number');
    }
  });

  it('is a Map-like view: default, has, delete, iteration, size, update', async () => {
    const url = broker();
    const { w, counts } = await worker(url, 'memory://');
    await w.start(both);
    w.process({ topic: 'clicks', partition: 1, offset: 0 }, () => {
      expect(counts.get('x')).toBe(0);
      expect(counts.has('x')).toBe(false);
      counts.set('x', 5).set('y', 6);
      expect(counts.update('x', (n) => n * 2)).toBe(10);
      expect(counts.delete('y')).toBe(true);
      expect(counts.delete('y')).toBe(false);
    });
    expect(counts.get('x')).toBe(10); // outside a handler: looked up on every partition held
    expect([...counts]).toEqual([['x', 10]]);
    expect([...counts.keys()]).toEqual(['x']);
    expect([...counts.values()]).toEqual([10]);
    expect(counts.size).toBe(1);
    expect(counts.stats()).toEqual([
      { partition: 0, keys: 0 },
      { partition: 1, keys: 1 },
    ]);
  });

  it('infers app.table types from the codecs and the default', () => {
    const app = new App('typed', { logger: silentLogger });
    const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    const names = app.table('names', { key: codecs.avroSchema<number>('long'), value: codecs.string });
    expectTypeOf(counts).toEqualTypeOf<Table<string, number, never>>();
    expectTypeOf(names).toEqualTypeOf<Table<number, string, undefined>>();
    expectTypeOf<InferTableKey<typeof names>>().toEqualTypeOf<number>();
    expectTypeOf<InferTableValue<typeof names>>().toEqualTypeOf<string>();
    const windowed = counts.hopping(60_000, 10_000, { expires: 5_000 });
    expectTypeOf(windowed.get('/a').current()).toEqualTypeOf<number>();
    expectTypeOf(names.tumbling(1_000).get(7).now()).toEqualTypeOf<string | undefined>();
    const misuse = () => {
      // @ts-expect-error the default must make a value of the table's type
      app.table('bad', { key: codecs.string, value: codecs.json<number>(), default: () => 'zero' });
      // @ts-expect-error a windowed update returns the value type
      windowed.update('/a', (n) => `${n}`);
    };
    expect(typeof misuse).toBe('function');
    expect(counts.name).toBe('counts');
    expect(counts.changelogTopic).toBe('typed-counts-changelog');
  });

  it('types get by the presence of a default', () => {
    const w = new Worker(freshBrokerUrl(), dir(), 'memory://');
    const withDefault = defineTable(w, 'a', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    const without = defineTable(w, 'b', { key: codecs.string, value: codecs.json<number>() });
    expectTypeOf(withDefault.get).returns.toEqualTypeOf<number>();
    expectTypeOf(without.get).returns.toEqualTypeOf<number | undefined>();
    expectTypeOf(withDefault.set).parameter(1).toEqualTypeOf<number>();
    expectTypeOf(withDefault.get).parameter(0).toEqualTypeOf<string>();
    const misuse = () => {
      // @ts-expect-error a table of numbers does not take strings
      withDefault.set('k', 'one');
      // @ts-expect-error nor keys of another type
      withDefault.get(1);
    };
    expect(typeof misuse).toBe('function');
  });

  it('refuses writes outside a handler, and on partitions it does not hold', async () => {
    const url = broker();
    const { w, counts } = await worker(url, 'memory://');
    await w.start([{ topic: 'clicks', partition: 0 }]);
    const outside = (() => {
      try {
        counts.set('a', 1);
      } catch (error) {
        return error;
      }
    })();
    expect(isTableAccessError(outside)).toBe(true);
    expect((outside as Error).message).toMatch(/Table counts: tables are written from agent handlers/);
    expect(() => w.process({ topic: 'clicks', partition: 1, offset: 0 }, () => counts.set('a', 1))).toThrow(
      /Table counts partition 1: this worker does not hold the partition \(event from clicks\[1\]@0\)/,
    );
  });

  it('fails to start when its changelog and its source topic have different partition counts', async () => {
    const url = broker();
    const { w } = await worker(url, 'memory://');
    await w.transport.admin().createTopics([{ topic: 'clicks-app-counts-changelog', partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
    const error = await w.start(both).catch((e: unknown) => e);
    expect(isTablePartitionsError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /Table counts: changelog topic clicks-app-counts-changelog has 3 partitions but its source topic clicks has 2/,
    );
  });

  it('fails to start when its changelog exists with cleanup.policy=delete (retention would drop table state)', async () => {
    const url = broker();
    const { w } = await worker(url, 'memory://');
    await w.transport.admin().createTopics([{ topic: 'clicks-app-counts-changelog', partitions: 2, config: { 'cleanup.policy': 'delete' } }]);
    const error = await w.start(both).catch((e: unknown) => e);
    expect(isTopicMismatchError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Topic clicks-app-counts-changelog exists with cleanup.policy=delete, but the app declares cleanup.policy=compact/);
  });

  it('fails to start when its partitions setting disagrees with the source topic', async () => {
    const url = broker();
    const w = new Worker(url, dir(), 'memory://');
    await w.transport.admin().createTopics([{ topic: 'clicks', partitions: 2 }]);
    defineTable(w, 'counts', { key: codecs.string, value: codecs.json<number>(), partitions: 4 });
    cleanups.push(async () => {
      if (w.running) await w.crash();
    });
    const error = await w.start(both).catch((e: unknown) => e);
    expect(isTablePartitionsError(error)).toBe(true);
    expect((error as Error).message).toMatch(/changelog topic clicks-app-counts-changelog has 4 partitions but its source topic clicks has 2/);
  });

  it('fails the second worker on one store directory with a clear error', async () => {
    const url = broker();
    const data = dir();
    const first = await worker(url, `level://${data}`, data);
    await first.w.start(both);
    const second = await worker(url, `level://${data}`, data);
    const error = await second.w.start(both).catch((e: unknown) => e);
    expect(isStoreLockedError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Table counts: the store directory .* is locked by another worker/);
  });
});

describe('a global table', () => {
  it('holds every partition, follows its changelog, and refuses writes', async () => {
    const url = broker();
    const writer = await worker(url, 'memory://');
    await writer.w.start(both);
    for (const click of clicks().slice(0, 100)) countClick(writer.w, writer.counts, click);
    await writer.w.commit();

    const reader = new Worker(url, dir(), 'memory://', 'dashboard');
    const totals = defineTable(reader, 'totals', {
      key: codecs.string,
      value: codecs.json<number>(),
      global: true,
      changelog: 'clicks-app-counts-changelog',
      globalPollInterval: 100,
    });
    cleanups.push(() => reader.crash());
    await reader.start([]); // no source partitions at all: a global table holds every partition anyway
    expect(totals.stats().map((s) => s.partition)).toEqual([0, 1]);
    expect(new Map(totals.entries())).toEqual(new Map(writer.counts.entries()));

    for (const click of clicks().slice(100, 200)) countClick(writer.w, writer.counts, click);
    await writer.w.commit();
    await reader.clock.advance(100, () => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(new Map(totals.entries())).toEqual(new Map(writer.counts.entries()));
    expect(() => reader.process({ topic: 'x', partition: 0, offset: 0 }, () => totals.set('a', 1))).toThrow(/global table is read-only/);
  });
});
