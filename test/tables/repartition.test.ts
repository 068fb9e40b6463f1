/**
 * Repartition topics of `groupBy` and the tables they feed, on memory://: the repartition topic
 * takes the partition count of the stream's source (as Kafka Streams and Faust do), not the app's
 * `topicPartitions`, so that a table counted from the grouped stream matches its changelog.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { isConfigError } from '../../src/errors.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { pages, testApp, until } from '../runtime/helpers.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

/** An app counting pages per path into a table through `groupBy`; pages has 4 partitions. */
function pathCounter(groupByPartitions?: number, tableSource?: string) {
  // topicPartitions differs from the source's 4 on purpose: the old default came from it.
  const harness = testApp({ topicPartitions: 8 });
  apps.push(harness.app);
  const { app } = harness;
  const pageTopic = app.topic(pages);
  const counts = app.table('path-counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, ...(tableSource === undefined ? {} : { source: tableSource }) });
  let counted = 0;
  app.agent(pageTopic, async function perPath(stream) {
    const grouped = stream.groupBy((p) => p.path, { name: 'by-path', ...(groupByPartitions === undefined ? {} : { partitions: groupByPartitions }) });
    for await (const page of grouped) {
      counts.set(page.path, counts.get(page.path) + 1);
      counted++;
    }
  });
  return { ...harness, pageTopic, counts, counted: () => counted };
}

describe('groupBy repartition topics', () => {
  it('regression: a table fed by groupBy gets no TablePartitionsError (repartition topic has the source topic’s partitions, not topicPartitions)', async () => {
    const { app, broker, logger, pageTopic, counts, counted } = pathCounter();
    await app.start();
    expect(broker.describe('test-perPath-by-path-repartition').partitions).toBe(4);
    for (let i = 0; i < 40; i++) await pageTopic.send({ key: `u${i}`, value: { user: `u${i}`, path: `/p${i % 5}`, ms: i } });
    await until(() => counted() === 40, 'all pages counted');
    await app.commit();
    expect(broker.describe('test-path-counts-changelog').partitions).toBe(4);
    for (let p = 0; p < 5; p++) expect(counts.get(`/p${p}`)).toBe(8);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('takes the partition count from the groupBy option when given; a table naming it as source follows it', async () => {
    // The agent also reads pages (4 partitions): the table is told which topic its keys live on.
    const { app, broker, pageTopic, counts, counted } = pathCounter(2, 'test-perPath-by-path-repartition');
    await app.start();
    expect(broker.describe('test-perPath-by-path-repartition').partitions).toBe(2);
    for (let i = 0; i < 10; i++) await pageTopic.send({ key: `u${i}`, value: { user: `u${i}`, path: `/p${i % 2}`, ms: i } });
    await until(() => counted() === 10, 'all pages counted');
    await app.commit();
    expect(broker.describe('test-path-counts-changelog').partitions).toBe(2);
    expect(counts.get('/p0')).toBe(5);
  });

  it('follows a chained groupBy back to the source, and falls back to topicPartitions for channels', async () => {
    const { app, broker } = testApp({ topicPartitions: 6 });
    apps.push(app);
    const source = app.topic(defineTopic({ name: 'three', key: codecs.string, value: codecs.json<{ a: string; b: string }>(), partitions: 3 }));
    const channel = app.channel<{ a: string }>();
    app.agent(source, async function twice(stream) {
      for await (const v of stream.groupBy((v) => v.a, { name: 'by-a' }).groupBy((v) => v.b, { name: 'by-b' })) void v;
    });
    app.agent(channel, async function fromChannel(stream) {
      for await (const v of stream.groupBy((v) => v.a, { name: 'by-a', value: codecs.json<{ a: string }>() })) void v;
    });
    await app.start();
    expect(broker.describe('test-twice-by-a-repartition').partitions).toBe(3);
    expect(broker.describe('test-twice-by-b-repartition').partitions).toBe(3);
    expect(broker.describe('test-fromChannel-by-a-repartition').partitions).toBe(6);
  });

  it('refuses a partition count that is not a positive integer', async () => {
    const { app } = testApp();
    apps.push(app);
    const failures: unknown[] = [];
    app.agent(app.topic(pages), async function bad(stream) {
      try {
        for await (const v of stream.groupBy((p) => p.path, { name: 'zero', partitions: 0 })) void v;
      } catch (error) {
        failures.push(error);
      }
    });
    await app.start();
    await until(() => failures.length === 1, 'the groupBy to fail');
    expect(isConfigError(failures[0])).toBe(true);
    expect((failures[0] as Error).message).toMatch(/groupBy\(zero\).*positive integer/);
  });
});
