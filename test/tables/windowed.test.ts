import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { defineTable } from '../../src/tables/index.js';
import type { WindowRange } from '../../src/tables/windows.js';
import { dropBroker, freshBrokerUrl, removeDir, tempDir, Worker } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A fixed event set for tumbling windows of 10 ms with 5 ms of grace, with its oracle computed by
 * hand (stream time = highest event time so far; a window [s, s+10) closes at stream time s+15):
 *
 *  #  t   key  stream  effect
 *  0  1   a    1       [0,10) a=1
 *  1  3   b    3       [0,10) b=1
 *  2  12  a    12      [10,20) a=1
 *  3  8   a    12      out of order, in grace: [0,10) a=2
 *  4  15  b    15      closes [0,10) (a=2, b=1); [10,20) b=1
 *  5  9   a    15      LATE for [0,10): refused
 *  6  19  a    19      [10,20) a=2
 *  7  21  a    21      [20,30) a=1
 *  8  14  b    21      out of order, in grace: [10,20) b=2
 *  9  26  b    26      closes [10,20) (a=2, b=2); [20,30) b=1
 * 10  11  a    26      LATE for [10,20): refused
 * 11  40  a    40      closes [20,30) (a=1, b=1); [40,50) a=1
 */
const events: Array<[number, string]> = [
  [1, 'a'], [3, 'b'], [12, 'a'], [8, 'a'], [15, 'b'], [9, 'a'],
  [19, 'a'], [21, 'a'], [14, 'b'], [26, 'b'], [11, 'a'], [40, 'a'],
];
const closedOracle = [
  ['a', 0, 10, 2], ['b', 0, 10, 1],
  ['a', 10, 20, 2], ['b', 10, 20, 2],
  ['a', 20, 30, 1], ['b', 20, 30, 1],
];

async function windowedWorker(url: string, data: string, closed: Array<[string, number, number, number]>) {
  const w = new Worker(url, data, `level://${data}`);
  await w.transport.admin().createTopics([{ topic: 'views', partitions: 1 }]);
  const views = defineTable(w, 'views', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'views' }).tumbling(10, {
    expires: 5,
    onWindowClose: (key: string, value: number, window: WindowRange) => closed.push([key, window.start, window.end, value]),
    finalResults: { name: 'views-final', key: codecs.string, value: codecs.json<number>() },
  });
  cleanups.push(async () => {
    if (w.running) await w.crash();
  });
  return { w, views };
}

function count(w: Worker, views: Awaited<ReturnType<typeof windowedWorker>>['views'], index: number): void {
  const [timestamp, key] = events[index]!;
  w.process({ topic: 'views', partition: 0, offset: index, timestamp }, () => views.update(key, (n) => n + 1));
}

describe('a tumbling windowed table', () => {
  it('matches the hand-computed oracle, with late and out-of-order events, closing each window once', async () => {
    const url = freshBrokerUrl();
    const data = tempDir();
    cleanups.push(() => removeDir(data), () => dropBroker(url));
    const closed: Array<[string, number, number, number]> = [];
    const { w, views } = await windowedWorker(url, data, closed);
    await w.start([{ topic: 'views', partition: 0 }]);
    for (let i = 0; i < events.length; i++) count(w, views, i);

    expect(closed).toEqual(closedOracle);
    expect(views.lateEvents).toBe(2);
    expect(views.closedWindows).toBe(6);
    expect([...views.windows()].map(({ key, window, value }) => [key, window.start, window.end, value])).toEqual([['a', 40, 50, 1]]);
    expect(w.logger.entries.filter((e) => e.level === 'warn' && e.message.startsWith('late event')).map((e) => e.fields?.lateEventsSoFar)).toEqual([1]);

    // Reads relative to the event, to a delta, to the clock.
    w.process({ topic: 'views', partition: 0, offset: 12, timestamp: 44 }, () => {
      expect(views.get('a').current()).toBe(1);
      expect(views.get('a').delta(30)).toBe(0); // [10,20) is closed and gone: the default
      expect(views.get('b').current()).toBe(0);
    });
    await w.clock.advance(45);
    expect(views.get('a').now()).toBe(1);
    expect(views.relativeToNow().get('a').value()).toBe(1);
    expect(views.get('a').at(41)).toBe(1);

    // Final-result mode: exactly the closed windows, in closing order, with their ranges.
    await w.commit();
    const finals: Array<[string, number, string, string]> = [];
    for await (const records of w.transport.readPartition('views-final', 0)) {
      for (const r of records) finals.push([r.key!.toString(), Number(r.value!.toString()), String(r.headers['window-start']), String(r.headers['window-end'])]);
    }
    expect(finals).toEqual(closedOracle.map(([k, s, e, v]) => [k, v, String(s), String(e)]));
  });

  it('closes every window exactly once across a crash and restart', async () => {
    const url = freshBrokerUrl();
    const data = tempDir();
    cleanups.push(() => removeDir(data), () => dropBroker(url));
    const closedBefore: Array<[string, number, number, number]> = [];
    const first = await windowedWorker(url, data, closedBefore);
    await first.w.start([{ topic: 'views', partition: 0 }]);
    for (let i = 0; i <= 6; i++) count(first.w, first.views, i);
    await first.w.commit(); // offsets 0..6 committed, [0,10) closed and deleted in the changelog
    count(first.w, first.views, 7); // processed, never committed
    await first.w.crash();
    expect(closedBefore).toEqual(closedOracle.slice(0, 2));

    const closedAfter: Array<[string, number, number, number]> = [];
    const second = await windowedWorker(url, data, closedAfter);
    await second.w.start([{ topic: 'views', partition: 0 }]);
    expect([...second.views.windows()].map(({ key, window, value }) => [key, window.start, value]).sort()).toEqual([
      ['a', 10, 2],
      ['b', 10, 1],
    ]);
    for (let i = 7; i < events.length; i++) count(second.w, second.views, i);
    expect([...closedBefore, ...closedAfter]).toEqual(closedOracle);
    expect(second.views.lateEvents).toBe(1); // event 10; event 5 was counted by the first worker
  });
});

describe('a tumbling windowed table in an App on the embedded broker', () => {
  it('matches the same oracle from record timestamps', async () => {
    const brokerUrl = freshBrokerUrl();
    const data = tempDir();
    cleanups.push(() => removeDir(data), () => dropBroker(brokerUrl));
    const app = new App('window-app', { broker: brokerUrl, store: `level://${data}`, dataDir: data, logger: silentLogger });
    const views = app.topic(defineTopic({ name: 'views', key: codecs.string, value: codecs.string, partitions: 1 }));
    const closed: Array<[string, number, number, number]> = [];
    const perWindow = app.table('views', { key: codecs.string, value: codecs.json<number>(), default: () => 0 }).tumbling(10, {
      expires: 5,
      onWindowClose: (key, value, window) => closed.push([key, window.start, window.end, value]),
    });
    let seen = 0;
    app.agent(views, async (stream) => {
      for await (const key of stream) {
        perWindow.update(key, (n) => n + 1);
        seen++;
      }
    });
    cleanups.push(() => app.stop());
    await app.start();
    await new MemoryTransport(brokerUrl)
      .producer()
      .send('views', events.map(([timestamp, key]) => ({ key: Buffer.from(key), value: Buffer.from(key), timestamp })));
    for (let i = 0; i < 500 && seen < events.length; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toBe(events.length);
    expect(closed).toEqual(closedOracle);
    expect(perWindow.lateEvents).toBe(2);
    expect([...perWindow.windows()].map(({ key, window, value }) => [key, window.start, value])).toEqual([['a', 40, 1]]);
  });
});

describe('hopping and sliding windowed tables', () => {
  it('count each event in every window holding it (hand-computed oracle)', async () => {
    const url = freshBrokerUrl();
    cleanups.push(() => dropBroker(url));
    const w = new Worker(url, tempDir(), 'memory://');
    await w.transport.admin().createTopics([{ topic: 'views', partitions: 1 }]);
    const closed: Array<[number, number]> = [];
    const hops = defineTable(w, 'hops', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'views' }).hopping(10, 5, {
      onWindowClose: (_key: string, value: number, window: WindowRange) => closed.push([window.start, value]),
    });
    const slides = defineTable(w, 'slides', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'views' }).sliding(2, 2);
    await w.start([{ topic: 'views', partition: 0 }]);
    // t=1: [-5,5) [0,10); t=6: [0,10) [5,15), closes [-5,5); t=12: [5,15) [10,20), closes [0,10).
    for (const [offset, timestamp] of [1, 6, 12].entries()) {
      w.process({ topic: 'views', partition: 0, offset, timestamp }, () => {
        hops.update('a', (n) => n + 1);
        slides.update('a', (n) => n + 1);
      });
    }
    expect(closed).toEqual([
      [-5, 1],
      [0, 2],
    ]);
    expect([...hops.windows()].map(({ window, value }) => [window.start, value]).sort((x, y) => x[0]! - y[0]!)).toEqual([
      [5, 2],
      [10, 1],
    ]);
    // Sliding (Faust's): each event its own window [t-2, t+3); with no grace, earlier ones closed.
    expect([...slides.windows()].map(({ window, value }) => [window.start, window.end, value])).toEqual([[10, 15, 1]]);
    expect(slides.closedWindows).toBe(2);
  });
});
