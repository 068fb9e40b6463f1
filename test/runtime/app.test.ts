import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { numbers, pages, paths, records, testApp, until, type Page } from './helpers.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

function track<T extends { app: App }>(t: T): T {
  apps.push(t.app);
  return t;
}

describe('App on memory://', () => {
  it('runs an agent that filters, maps and yields to a sink topic', async () => {
    const { app, broker } = track(testApp());
    const pageTopic = app.topic(pages);
    const pathTopic = app.topic(paths);
    app.agent(
      pageTopic,
      async function* slowPaths(stream) {
        for await (const path of stream.filter((p) => p.ms > 100).map((p) => p.path)) yield path;
      },
      { sink: [pathTopic] },
    );
    await app.start();
    for (let i = 0; i < 10; i++) await pageTopic.send({ key: `u${i % 3}`, value: { user: `u${i % 3}`, path: `/p${i}`, ms: i * 30 } });
    await until(() => records(broker, 'paths').length === 6, 'six slow paths');
    const out = records(broker, 'paths').map((r) => r.value!.toString());
    expect(out.sort()).toEqual(['/p4', '/p5', '/p6', '/p7', '/p8', '/p9']);
  });

  it('partitions keys with murmur2 and preserves per-partition order through the agent', async () => {
    const { app, broker } = track(testApp());
    const pageTopic = app.topic(pages);
    const seen: Page[] = [];
    app.agent(pageTopic, async function collect(stream) {
      for await (const page of stream) seen.push(page);
    });
    await app.start();
    for (let i = 0; i < 40; i++) void pageTopic.send({ key: `user-${i % 5}`, value: { user: `user-${i % 5}`, path: `/${i}`, ms: i } });
    await until(() => seen.length === 40, 'forty pages');
    // Same key, same partition; and per user, pages arrive in the order sent.
    for (const log of broker.topics.get('pages')!.logs) {
      const users = new Set(log.records.map((r) => r.key!.toString()));
      for (const user of users) expect(broker.topics.get('pages')!.partitionFor({ key: Buffer.from(user), value: null })).toBe(log.records.find((r) => r.key!.toString() === user)!.partition);
    }
    for (let u = 0; u < 5; u++) {
      const mine = seen.filter((p) => p.user === `user-${u}`).map((p) => p.ms);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it('commits processed offsets on app.commit()', async () => {
    const { app, broker } = track(testApp());
    const topic = app.topic(numbers);
    let sum = 0;
    app.agent(topic, async function add(stream) {
      for await (const n of stream) sum += n;
    });
    await app.start();
    for (let i = 1; i <= 5; i++) await topic.send({ key: 'k', value: i });
    await until(() => sum === 15, 'sum');
    // the last event is acknowledged when the handler asks for the next one, which it did
    await app.commit();
    expect(broker.groups.get('test')!.committedOffset('numbers', 0)).toBe(5);
  });

  it('items(), events() and enumerate() carry keys and metadata', async () => {
    const { app } = track(testApp());
    const topic = app.topic(numbers);
    const got: unknown[] = [];
    app.agent(topic, async function meta(stream) {
      for await (const [i, event] of stream.events().enumerate(1)) {
        got.push([i, event.key, event.value, event.topic, event.partition, event.offset]);
      }
    });
    await app.start();
    await topic.send({ key: 'a', value: 10 });
    await topic.send({ key: 'b', value: 20 });
    await until(() => got.length === 2, 'two events');
    expect(got).toEqual([
      [1, 'a', 10, 'numbers', 0, '0'],
      [2, 'b', 20, 'numbers', 0, '1'],
    ]);
  });

  it('app.stream processors run in order, sync and async', async () => {
    const { app } = track(testApp());
    const topic = app.topic(numbers);
    const got: number[] = [];
    const source = app.stream(topic, { processors: [(n) => n + 1, async (n) => n * 10] });
    app.agent(source, async function processed(stream) {
      for await (const n of stream) got.push(n);
    });
    await app.start();
    await topic.send({ key: 'a', value: 1 });
    await topic.send({ key: 'a', value: 2 });
    await until(() => got.length === 2, 'two values');
    expect(got).toEqual([20, 30]);
  });

  it('channels feed agents in memory and agents can sink into agents', async () => {
    const { app } = track(testApp());
    const words = app.channel<string>('words');
    const lengths: number[] = [];
    const measure = app.agent(app.channel<string>('upper'), async function measure(stream) {
      for await (const w of stream) lengths.push(w.length);
    });
    app.agent(
      words,
      async function* shout(stream) {
        for await (const w of stream) {
          const loud = `${w.toUpperCase()}!`;
          yield loud;
        }
      },
      { sink: [measure] },
    );
    await app.start();
    await words.send({ value: 'hi' });
    await words.send({ value: 'hello' });
    await until(() => lengths.length === 2, 'two lengths');
    expect(lengths).toEqual([3, 6]);
  });

  it('take(n) batches and acknowledges batch by batch', async () => {
    const { app, broker } = track(testApp());
    const topic = app.topic(numbers);
    const batches: number[][] = [];
    app.agent(topic, async function batch(stream) {
      for await (const b of stream.take(3)) batches.push(b);
    });
    await app.start();
    for (let i = 0; i < 7; i++) await topic.send({ key: 'k', value: i });
    await until(() => batches.length === 2, 'two batches');
    expect(batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await app.commit();
    // The handler asked for a third batch, so the first two are done; value 6 waits in the
    // unfinished third batch and is not committed.
    expect(broker.groups.get('test')!.committedOffset('numbers', 0)).toBe(6);
  });

  it('groupBy re-keys through a repartition topic', async () => {
    const { app, broker } = track(testApp({ topicPartitions: 3 }));
    const pageTopic = app.topic(pages);
    const byPath = new Map<string, string[]>();
    app.agent(pageTopic, async function perPath(stream) {
      for await (const [path, page] of stream.groupBy((p) => p.path, { name: 'by-path' }).items()) {
        byPath.set(path, [...(byPath.get(path) ?? []), page.user]);
      }
    });
    await app.start();
    for (let i = 0; i < 12; i++) await pageTopic.send({ key: `u${i}`, value: { user: `u${i}`, path: `/p${i % 3}`, ms: i } });
    await until(() => [...byPath.values()].flat().length === 12, 'all repartitioned');
    const repartition = records(broker, 'test-perPath-by-path-repartition');
    expect(repartition).toHaveLength(12);
    for (const r of repartition) expect(r.key!.toString()).toMatch(/^\/p[0-2]$/);
    // every record of one key sits in one partition of the repartition topic
    const partitionOf = new Map<string, number>();
    for (const r of repartition) {
      const k = r.key!.toString();
      expect(partitionOf.get(k) ?? r.partition).toBe(r.partition);
      partitionOf.set(k, r.partition);
    }
    expect(byPath.get('/p1')!.sort()).toEqual(['u1', 'u10', 'u4', 'u7']);
  });

  it('through(topic) and echo(topic) send values on', async () => {
    const { app, broker } = track(testApp());
    const topic = app.topic(numbers);
    const copy = app.topic(defineTopic({ name: 'numbers-copy', key: codecs.string, value: codecs.json<number>(), partitions: 1 }));
    const echoed = app.topic(defineTopic({ name: 'numbers-echo', key: codecs.string, value: codecs.json<number>(), partitions: 1 }));
    const got: number[] = [];
    app.agent(topic, async function relay(stream) {
      for await (const n of stream.echo(echoed).through(copy)) got.push(n);
    });
    await app.start();
    await topic.send({ key: 'x', value: 7 });
    await until(() => got.length === 1, 'one value');
    expect(got).toEqual([7]);
    expect(records(broker, 'numbers-copy').map((r) => [r.key!.toString(), r.value!.toString()])).toEqual([['x', '7']]);
    expect(records(broker, 'numbers-echo').map((r) => [r.key!.toString(), r.value!.toString()])).toEqual([['x', '7']]);
  });
});

describe('App misuse', () => {
  it('rejects a send before start with an AppStateError, and sends fine after start', async () => {
    const { app, broker } = testApp();
    const topic = app.topic(numbers);
    await expect(topic.send({ key: 'k', value: 1 })).rejects.toThrow(/not started/);
    await app.start();
    await topic.send({ key: 'k', value: 2 });
    expect(records(broker, 'numbers').map((r) => r.value!.toString())).toEqual(['2']);
    await app.stop();
  });

  it('refuses agents defined after start and names it in the error', async () => {
    const { app } = testApp();
    const topic = app.topic(numbers);
    await app.start();
    expect(() => app.agent(topic, async function late() {})).toThrow(/agent late must be defined before app.start\(\)/);
    await app.stop();
  });

  it('rejects an invalid value at run time with an EncodeError naming the topic', async () => {
    const { app } = testApp();
    const topic = app.topic(pages);
    await app.start();
    await expect(topic.send({ key: 'k', value: { user: 'x' } as unknown as Page })).rejects.toThrow(/Cannot encode value \(avro\) for topic pages/);
    await app.stop();
  });
});
