import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { isStoreLockedError } from '../../src/errors.js';
import { memoryLogger, silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { createStore } from '../../src/store/index.js';
import type { Table } from '../../src/tables/index.js';
import { MemoryBroker, MemoryTransport } from '../../src/transport/memory/index.js';
import { partitionForKey } from '../../src/transport/partitioner.js';
import { dropBroker, freshBrokerUrl, removeDir, tempDir } from './harness.js';
import { KillableTransport } from './killable.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const clicksTopic = defineTopic({ name: 'clicks', key: codecs.string, value: codecs.string, partitions: 3 });
const CLICKS = 3000;

function urlOf(i: number): string {
  return `/page/${(i * 7919) % 101}`;
}

function oracle(): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < CLICKS; i++) counts.set(urlOf(i), (counts.get(urlOf(i)) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** The worker under test: counts clicks per URL into a level-backed table. */
function clickCounter(brokerUrl: string, dataDir: string, killAt = Infinity) {
  const transport = new KillableTransport(new MemoryTransport(brokerUrl));
  const app = new App('click-counter', { broker: transport, store: `level://${dataDir}`, dataDir, logger: silentLogger, commitInterval: 20 });
  const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
  let processed = 0;
  app.agent(app.topic(clicksTopic), async (stream) => {
    for await (const url of stream) {
      counts.set(url, counts.get(url) + 1);
      // The kill lands in the middle of processing (synchronously: nothing more reaches the broker).
      if (++processed === killAt) void transport.kill();
    }
  });
  return { app, counts, transport, processed: () => processed };
}

async function produceClicks(brokerUrl: string, from = 0, to = CLICKS): Promise<void> {
  const transport = new MemoryTransport(brokerUrl);
  await transport.admin().createTopics([{ topic: 'clicks', partitions: 3 }]);
  const producer = transport.producer();
  const records = Array.from({ length: to - from }, (_, i) => ({ key: Buffer.from(urlOf(from + i)), value: Buffer.from(urlOf(from + i)) }));
  await producer.send('clicks', records);
  await producer.close();
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the group has committed every click, then returns the table's counts. */
async function drained(brokerUrl: string, worker: ReturnType<typeof clickCounter>): Promise<Map<string, number>> {
  const admin = new MemoryTransport(brokerUrl).admin();
  await until(async () => {
    await worker.app.commit();
    const committed = await admin.fetchCommittedOffsets('click-counter', 'clicks');
    const total = committed.reduce((sum, c) => sum + Number(c.offset), 0);
    return total === CLICKS;
  }, 'every click to be committed');
  return snapshot(worker.counts);
}

function snapshot(counts: Table<string, number, never>): Map<string, number> {
  return new Map([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** The changelog records a restart against `dataDir` must replay: those after the store's checkpoints. */
async function expectedTail(brokerUrl: string, dataDir: string): Promise<number> {
  const store = createStore(`level://${dataDir}`, { table: 'counts', key: codecs.string, value: codecs.json<number>() });
  await store.open();
  const ends = await new MemoryTransport(brokerUrl).admin().fetchTopicOffsets('click-counter-counts-changelog');
  let tail = 0;
  for (const { partition, high } of ends) {
    const checkpoint = await store.assign(partition);
    tail += Number(high) - (checkpoint === undefined ? 0 : Number(checkpoint.changelogOffset) + 1);
  }
  await store.close();
  return tail;
}

describe('a click counter on the embedded broker, killed and restarted', () => {
  it('counts exactly the input after a kill, against the same level directory (tail only) and an empty one (full restore)', async () => {
    const brokerUrl = freshBrokerUrl();
    const dataDir = tempDir();
    cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
    await produceClicks(brokerUrl, 0, 1000);

    const first = clickCounter(brokerUrl, dataDir, 1777);
    cleanups.push(() => first.app.stop());
    await first.app.start();
    await until(() => first.processed() === 1000, 'the first thousand clicks');
    await first.app.commit();
    // Killed mid-stream, at no particular point of the commit cycle.
    await produceClicks(brokerUrl, 1000, CLICKS);
    await until(() => first.processed() >= 1777, 'the kill');
    await first.counts.state.abandon();
    const committedBeforeKill = (await new MemoryTransport(brokerUrl).admin().fetchCommittedOffsets('click-counter', 'clicks')).reduce(
      (sum, c) => sum + Number(c.offset),
      0,
    );
    expect(committedBeforeKill).toBeGreaterThanOrEqual(1000);
    expect(committedBeforeKill).toBeLessThan(1777);

    const tail = await expectedTail(brokerUrl, dataDir);
    const second = clickCounter(brokerUrl, dataDir);
    cleanups.push(() => second.app.stop());
    await second.app.start();
    expect(second.counts.recoveries.reduce((sum, r) => sum + r.records, 0)).toBe(tail);
    expect(second.counts.recoveries.every((r) => r.from !== undefined)).toBe(true); // resumed from the store's checkpoint
    expect(await drained(brokerUrl, second)).toEqual(oracle());
    await second.app.stop();

    const emptyDir = tempDir();
    cleanups.push(() => removeDir(emptyDir));
    const third = clickCounter(brokerUrl, emptyDir);
    cleanups.push(() => third.app.stop());
    await third.app.start();
    const changelogEnd = (await new MemoryTransport(brokerUrl).admin().fetchTopicOffsets('click-counter-counts-changelog')).reduce(
      (sum, o) => sum + Number(o.high),
      0,
    );
    expect(third.counts.recoveries.reduce((sum, r) => sum + r.records, 0)).toBe(changelogEnd);
    expect(third.counts.recoveries.every((r) => r.from === undefined)).toBe(true);
    expect(snapshot(third.counts)).toEqual(oracle());
    expect(third.processed()).toBe(0);
  });

  it('keeps each URL on its partition, as the source topic partitions its keys', async () => {
    const brokerUrl = freshBrokerUrl();
    const dataDir = tempDir();
    cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
    await produceClicks(brokerUrl);
    const worker = clickCounter(brokerUrl, dataDir);
    cleanups.push(() => worker.app.stop());
    await worker.app.start();
    await drained(brokerUrl, worker);
    for (const { partition } of worker.counts.stats()) {
      for (const [url] of worker.counts.state.store.entries(partition)) expect(partitionForKey(Buffer.from(url), 3)).toBe(partition);
    }
    expect(worker.counts.stats().map((s) => s.partition)).toEqual([0, 1, 2]);
  });
});

describe('tables in an App', () => {
  it('keep a level:// store under the data directory, and refuse a second worker on it', async () => {
    const brokerUrl = freshBrokerUrl();
    const dataDir = tempDir();
    cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
    const make = () => {
      const app = new App('locked', { broker: brokerUrl, store: 'level://', dataDir, logger: silentLogger });
      const table = app.table('t', { key: codecs.string, value: codecs.string });
      app.agent(app.topic(clicksTopic), async (stream) => {
        for await (const url of stream) table.set(url, url);
      });
      return { app, table };
    };
    const first = make();
    expect(first.table.state.storeUrl).toBe(`level://${join(dataDir, 'tables')}`);
    cleanups.push(() => first.app.stop());
    await first.app.start();
    const second = make();
    cleanups.push(() => second.app.stop());
    const error = await second.app.start().catch((e: unknown) => e);
    expect(isStoreLockedError(error)).toBe(true);
    expect((error as Error).message).toContain(join(dataDir, 'tables', 't'));
  });
});

describe('an event unfinished when the worker gives up its partition', () => {
  // A handler that writes twice per event with an await between: stopped (or failed) between the
  // two writes, the event is not committed, so it is handled again after a restart; its first
  // write must not survive in the changelog or the store (or the retry double-counts it), nor be
  // marked done there (or the retry's writes are skipped as replays and the second one is lost).
  const ordersTopic = defineTopic({ name: 'orders', key: codecs.string, value: codecs.string, partitions: 1 });

  async function run(brokerUrl: string, dataDir: string, how: 'stop' | 'crash', pauseMs: number) {
    const app = new App('ledger', { broker: brokerUrl, store: 'level://', dataDir, logger: silentLogger, shutdownTimeout: 50, commitInterval: 10 });
    const ledger = app.table('ledger', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    let started = 0;
    let finished = 0;
    let failOnce = how === 'crash';
    app.agent(
      app.topic(ordersTopic),
      async (stream) => {
        for await (const order of stream) {
          started++;
          ledger.set(`${order}:debit`, ledger.get(`${order}:debit`) + 1);
          if (failOnce) {
            failOnce = false;
            throw new Error('payment service down');
          }
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
          ledger.set(`${order}:credit`, ledger.get(`${order}:credit`) + 1);
          finished++;
        }
      },
      { onError: 'crash' },
    );
    await app.start();
    return { app, ledger, started: () => started, finished: () => finished };
  }

  for (const how of ['stop', 'crash'] as const) {
    it(`is handled again in full after a restart (${how === 'stop' ? 'graceful stop mid-event' : "the handler threw, policy 'crash'"})`, async () => {
      const brokerUrl = freshBrokerUrl();
      const dataDir = tempDir();
      cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
      await new MemoryTransport(brokerUrl).admin().createTopics([{ topic: 'orders', partitions: 1 }]);
      await new MemoryTransport(brokerUrl).producer().send('orders', [{ key: Buffer.from('o1'), value: Buffer.from('o1') }]);

      const first = await run(brokerUrl, dataDir, how, 2_000);
      for (let i = 0; i < 300 && first.started() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(first.started()).toBe(1);
      await first.app.stop(); // the crash policy stops the app too; stop() then waits for it
      expect(first.finished()).toBe(0);

      const second = await run(brokerUrl, dataDir, 'stop', 0);
      cleanups.push(() => second.app.stop());
      for (let i = 0; i < 300 && second.finished() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(second.finished()).toBe(1);
      expect(Object.fromEntries(second.ledger.entries())).toEqual({ 'o1:debit': 1, 'o1:credit': 1 });
      expect(second.ledger.state.skippedReplays).toBe(0);
    });
  }
});

describe('a table written by an agent with concurrency > 1', () => {
  // Events of one partition are handled by two instances (by key) and finish out of order: an
  // earlier event still awaiting when a later one has written and finished. The table's recorded
  // source position must not pass the earlier one: a restart skipped it as "already applied" and
  // its writes after the await were lost.
  const ordersTopic = defineTopic({ name: 'orders', key: codecs.string, value: codecs.string, partitions: 1 });
  const slowKey = 'slow';
  const fastKey = ['a', 'b', 'c', 'd', 'e', 'f'].find((k) => partitionForKey(Buffer.from(k), 2) !== partitionForKey(Buffer.from(slowKey), 2))!;

  async function run(brokerUrl: string, dataDir: string, pauseMs: number, fastWaitsMs = 0) {
    const app = new App('concurrent', { broker: brokerUrl, store: 'level://', dataDir, logger: silentLogger, shutdownTimeout: 50, commitInterval: 10 });
    const ledger = app.table('ledger', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    const finished = new Set<string>();
    app.agent(
      app.topic(ordersTopic),
      async (stream) => {
        for await (const order of stream) {
          if (order === fastKey && fastWaitsMs > 0) await new Promise((resolve) => setTimeout(resolve, fastWaitsMs));
          ledger.set(`${order}:debit`, ledger.get(`${order}:debit`) + 1);
          if (order === slowKey) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          ledger.set(`${order}:credit`, ledger.get(`${order}:credit`) + 1);
          finished.add(order);
        }
      },
      { concurrency: 2 },
    );
    await app.start();
    return { app, ledger, finished };
  }

  it('loses no write of the earlier event across a stop and restart (at-least-once: its first write may count twice)', async () => {
    const brokerUrl = freshBrokerUrl();
    const dataDir = tempDir();
    cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
    await new MemoryTransport(brokerUrl).admin().createTopics([{ topic: 'orders', partitions: 1 }]);
    await new MemoryTransport(brokerUrl).producer().send('orders', [
      { key: Buffer.from(slowKey), value: Buffer.from(slowKey) },
      { key: Buffer.from(fastKey), value: Buffer.from(fastKey) },
    ]);
    const first = await run(brokerUrl, dataDir, 5_000);
    for (let i = 0; i < 300 && !first.finished.has(fastKey); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect([...first.finished]).toEqual([fastKey]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // commits run meanwhile (every 10 ms)
    await first.app.stop();

    // after the restart the earlier event runs through before the later one writes anything
    const second = await run(brokerUrl, dataDir, 0, 200);
    cleanups.push(() => second.app.stop());
    for (let i = 0; i < 300 && second.finished.size < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const ledger = Object.fromEntries(second.ledger.entries()) as Record<string, number>;
    expect(ledger[`${slowKey}:credit`]).toBe(1);
    expect(ledger[`${slowKey}:debit`]).toBeGreaterThanOrEqual(1);
    expect(ledger[`${fastKey}:debit`]).toBe(1);
    expect(ledger[`${fastKey}:credit`]).toBe(1);
  });
});

describe('tables and take() batches', () => {
  async function batches(partitions: number) {
    const brokerUrl = freshBrokerUrl();
    cleanups.push(() => dropBroker(brokerUrl));
    const app = new App('batches', { broker: brokerUrl, logger: silentLogger });
    const clicks = app.topic(defineTopic({ name: 'clicks', key: codecs.string, value: codecs.string, partitions }));
    const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    let counted = 0;
    app.agent(clicks, async (stream) => {
      for await (const batch of stream.take(1000, { within: 100 })) {
        for (const url of batch) counts.set(url, counts.get(url) + 1);
        counted += batch.length;
      }
    });
    cleanups.push(() => app.stop());
    await app.start();
    const urls = Array.from({ length: 200 }, (_, i) => `/p/${i % 20}`);
    await new MemoryTransport(brokerUrl).producer().send('clicks', urls.map((u) => ({ key: Buffer.from(u), value: Buffer.from(u) })));
    return { app, counts, counted: () => counted, brokerUrl };
  }

  it('refuse a batch of events from several partitions, naming why (writes went to the last event\'s partition)', async () => {
    const { app, counts, counted, brokerUrl } = await batches(2);
    const broker = MemoryBroker.forUrl(brokerUrl);
    const deadLetters = () => [...broker.topics.keys()].filter((t) => t.endsWith('-dlq')).flatMap((t) => broker.topics.get(t)!.logs.flatMap((l) => l.records));
    for (let i = 0; i < 300 && deadLetters().length < 200; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(counted()).toBe(0);
    const letters = deadLetters();
    expect(letters).toHaveLength(200); // nothing lost: every event of the refused batches is dead-lettered
    expect(letters[0]!.headers['mephisto-error']!.toString()).toMatch(/take\(\) batch of events from several partitions/);
    await app.internals.flush();
    for (const { keys } of counts.stats()) expect(keys).toBe(0);
  });

  it('take a batch from one partition as before', async () => {
    const { counts, counted } = await batches(1);
    for (let i = 0; i < 300 && counted() < 200; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(counted()).toBe(200);
    expect(counts.get('/p/0')).toBe(10);
  });
});

describe('a failed store write', () => {
  it('keeps the store at its last good checkpoint, so a restart replays what it lost (a later write covered it up)', async () => {
    const brokerUrl = freshBrokerUrl();
    const dataDir = tempDir();
    cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
    const topic = defineTopic({ name: 'clicks', key: codecs.string, value: codecs.string, partitions: 1 });
    const make = () => {
      const logger = memoryLogger();
      const app = new App('sf', { broker: brokerUrl, store: 'level://', dataDir, logger, commitInterval: 60_000 });
      const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
      let seen = 0;
      app.agent(app.topic(topic), async (stream) => {
        for await (const url of stream) {
          counts.set(url, counts.get(url) + 1);
          seen++;
        }
      });
      return { app, counts, seen: () => seen, logger };
    };
    await new MemoryTransport(brokerUrl).admin().createTopics([{ topic: 'clicks', partitions: 1 }]);
    const producer = new MemoryTransport(brokerUrl).producer();
    const send = (url: string) => producer.send('clicks', [{ key: Buffer.from(url), value: Buffer.from(url) }]);
    const until = async (condition: () => boolean) => {
      for (let i = 0; i < 300 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    const first = make();
    await first.app.start();
    const store = first.counts.state.store as unknown as { persist(batches: unknown): Promise<void> };
    const persist = store.persist.bind(store);
    let calls = 0;
    store.persist = (batches) => (++calls === 1 ? Promise.reject(new Error('ENOSPC (simulated, once)')) : persist(batches));
    await send('a');
    await until(() => first.seen() === 1);
    await first.app.commit(); // the store write of {a: 1} fails
    await send('b');
    await until(() => first.seen() === 2);
    await first.app.commit(); // {b: 1} and a checkpoint past a: refused after the failure
    await first.app.stop();
    expect(first.logger.entries.filter((e) => e.level === 'error' && e.message.startsWith('table store write failed'))).toHaveLength(1);

    const second = make();
    cleanups.push(() => second.app.stop());
    await second.app.start();
    expect(Object.fromEntries(second.counts.entries())).toEqual({ a: 1, b: 1 });
  });
});

describe('a table without a source', () => {
  it('refuses to start when the app reads topics of different partition counts, naming them (it took the first one\'s count and kept it on the broker)', async () => {
    const brokerUrl = freshBrokerUrl();
    cleanups.push(() => dropBroker(brokerUrl));
    const app = new App('mm', { broker: brokerUrl, logger: silentLogger });
    const clicks = app.topic(defineTopic({ name: 'clicks', key: codecs.string, value: codecs.string, partitions: 4 }));
    const audit = app.topic(defineTopic({ name: 'audit', key: codecs.string, value: codecs.string, partitions: 1 }));
    const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    app.agent(clicks, async (stream) => {
      for await (const url of stream) counts.set(url, counts.get(url) + 1);
    });
    app.agent(audit, async (stream) => {
      for await (const _ of stream);
    });
    cleanups.push(() => app.stop());
    const error = await app.start().catch((e: unknown) => e);
    expect(String(error)).toMatch(/table counts: the topics this app reads have different partition counts \(audit: 1, clicks: 4\).*set its option `source`/);
    expect(MemoryBroker.forUrl(brokerUrl).topics.has('mm-counts-changelog')).toBe(false);
  });
});
