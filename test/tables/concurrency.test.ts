/**
 * Regression: a table fed by an agent with `concurrency > 1` recorded the source position of
 * whichever event wrote last (instances finish events of one partition out of order), so the
 * position its changelog claims could fall behind what it held, or get ahead of an event still
 * being handled, whose later writes were then skipped as "replays" after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { SOURCES_HEADER } from '../../src/tables/state.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { partitionForKey } from '../../src/transport/partitioner.js';
import { defineTable } from '../../src/tables/index.js';
import { dropBroker, freshBrokerUrl, Worker } from './harness.js';
import { KillableTransport } from './killable.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const eventsTopic = defineTopic({ name: 'events', key: codecs.string, value: codecs.string, partitions: 1 });

/** Two keys that the agent's two instances split between them (murmur2 of the key, modulo 2). */
const instanceKeys = (): [string, string] => {
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  const slow = keys.find((k) => partitionForKey(Buffer.from(k), 2) === 0)!;
  const fast = keys.find((k) => partitionForKey(Buffer.from(k), 2) === 1)!;
  return [slow, fast];
};

/** Waits for the memory broker's deliveries and the handlers' microtasks (no timers involved). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * An app whose agent (2 instances) marks each event's value in a table; a value starting with
 * `slow` writes `<value>:before`, waits for the test to open its gate, then writes `<value>:after`.
 * With `holdAll`, every other event waits for its gate before it writes. Writes are idempotent
 * (sets to 1), so what a replay does twice does not show; what is lost does.
 */
function marker(brokerUrl: string, transport = new KillableTransport(new MemoryTransport(brokerUrl)), holdAll = false) {
  const app = new App('marker', { broker: transport, logger: silentLogger, commitInterval: 2 ** 31 - 1, shutdownTimeout: 50 });
  const marks = app.table('marks', { key: codecs.string, value: codecs.json<number>(), source: eventsTopic.name });
  const gates = new Map<string, () => void>();
  const done: string[] = [];
  app.agent(
    app.topic(eventsTopic),
    async (stream) => {
      for await (const value of stream) {
        if (value.startsWith('slow')) {
          marks.set(`${value}:before`, 1);
          await new Promise<void>((resolve) => gates.set(value, resolve));
          marks.set(`${value}:after`, 1);
        } else {
          if (holdAll) await new Promise<void>((resolve) => gates.set(value, resolve));
          marks.set(value, 1);
        }
        done.push(value);
      }
    },
    { concurrency: 2 },
  );
  return { app, marks, transport, done, open: (value: string) => gates.get(value)?.(), waiting: (value: string) => gates.has(value) };
}

async function send(brokerUrl: string, events: ReadonlyArray<[key: string, value: string]>): Promise<void> {
  await new MemoryTransport(brokerUrl).producer().send(
    'events',
    events.map(([key, value]) => ({ key: Buffer.from(key), value: Buffer.from(value) })),
  );
}

/** The source position claimed by each commit, in changelog order. */
async function claims(brokerUrl: string): Promise<number[]> {
  const out: number[] = [];
  for await (const records of new MemoryTransport(brokerUrl).readPartition('marker-marks-changelog', 0)) {
    for (const r of records) {
      const sources = r.headers[SOURCES_HEADER];
      if (sources !== undefined) out.push(Number((JSON.parse(sources.toString()) as Record<string, string>).events ?? -1));
    }
  }
  return out;
}

describe('a table fed by an agent with concurrency 2', () => {
  async function started() {
    const brokerUrl = freshBrokerUrl();
    cleanups.push(() => dropBroker(brokerUrl));
    await new MemoryTransport(brokerUrl).admin().createTopics([{ topic: 'events', partitions: 1 }]);
    const first = marker(brokerUrl);
    cleanups.push(() => first.app.stop());
    await first.app.start();
    return { brokerUrl, first };
  }

  it('never claims an event still being handled: its later writes survive a crash (regression, concurrency > 1)', async () => {
    const { brokerUrl, first } = await started();
    const [slowKey, fastKey] = instanceKeys();
    // offset 0 starts on instance 0 and waits; offset 1 is done on instance 1 meanwhile
    await send(brokerUrl, [
      [slowKey, 'slow-0'],
      [fastKey, 'fast-1'],
    ]);
    await until(() => first.done.includes('fast-1') && first.waiting('slow-0'), 'both events to have written');
    await first.app.commit();
    // Nothing is done from offset 0 on, so nothing may be claimed: not offset 0 (still writing).
    expect((await claims(brokerUrl)).every((claim) => claim <= 0)).toBe(true);

    first.open('slow-0');
    await until(() => first.done.includes('slow-0'), 'the slow event to finish');
    // Killed before the next commit: the group resumes from offset 0 and replays both events.
    await first.transport.kill();
    await first.marks.state.abandon();

    // The replayed slow event finishes first this time (the other holds until it did).
    const second = marker(brokerUrl, new KillableTransport(new MemoryTransport(brokerUrl)), true);
    cleanups.push(() => second.app.stop());
    await second.app.start();
    await until(() => second.waiting('slow-0'), 'the replay');
    second.open('slow-0');
    await until(() => second.done.includes('slow-0'), 'the replayed slow event');
    await until(() => second.waiting('fast-1'), 'the replayed fast event');
    second.open('fast-1');
    await until(() => second.done.includes('fast-1'), 'the replayed fast event');
    expect(Object.fromEntries([...second.marks.entries()].sort())).toEqual({ 'fast-1': 1, 'slow-0:after': 1, 'slow-0:before': 1 });
  });

  it('claims every finished event, whatever order the instances finished them in, and never moves back', async () => {
    const { brokerUrl, first } = await started();
    const [slowKey, fastKey] = instanceKeys();
    // offset 0 writes first and finishes last: the last write of the partition is the earliest event
    await send(brokerUrl, [
      [slowKey, 'slow-0'],
      [fastKey, 'fast-1'],
      [fastKey, 'fast-2'],
    ]);
    await until(() => first.done.includes('fast-2'), 'the fast events');
    first.open('slow-0');
    await until(() => first.done.includes('slow-0'), 'the slow event');
    await first.app.commit();
    expect(await claims(brokerUrl)).toEqual([3]);

    // Two more rounds, one with an event unfinished at the commit.
    await send(brokerUrl, [
      [slowKey, 'slow-3'],
      [fastKey, 'fast-4'],
    ]);
    await until(() => first.done.includes('fast-4') && first.waiting('slow-3'), 'offsets 3 and 4 to have written');
    await first.app.commit();
    first.open('slow-3');
    await until(() => first.done.includes('slow-3'), 'the slow event');
    await first.app.commit();
    const all = await claims(brokerUrl);
    expect(all.at(-1)).toBe(5);
    expect(all.every((claim, i) => i === 0 || claim >= all[i - 1]!)).toBe(true);
    expect(all.every((claim) => claim <= 3 || claim === 5)).toBe(true);
  });
});

describe('the replay guard after a restart, with agent concurrency', () => {
  it('skips a replayed event handled after a later one (regression: the later event took the guard down)', async () => {
    const brokerUrl = freshBrokerUrl();
    cleanups.push(() => dropBroker(brokerUrl));
    const start = async () => {
      const w = new Worker(brokerUrl, '/nonexistent', 'memory://');
      await w.transport.admin().createTopics([{ topic: 'clicks', partitions: 1 }]);
      const counts = defineTable(w, 'counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'clicks' });
      await w.start([{ topic: 'clicks', partition: 0 }]);
      cleanups.push(async () => {
        if (w.running) await w.crash();
      });
      const count = (offset: number) => w.process({ topic: 'clicks', partition: 0, offset }, () => counts.set('a', counts.get('a') + 1));
      return { w, counts, count };
    };
    const first = await start();
    first.count(0);
    first.count(1);
    await first.w.beforeCommit([{ topic: 'clicks', partition: 0, offset: '2' }]); // the changelog claims 0 and 1
    await first.w.crash(); // before the offsets are committed: the group replays from 0

    const second = await start();
    expect(second.counts.get('a')).toBe(2);
    // instance 1 gets event 2 before instance 0 gets the replayed event 1
    second.count(0);
    second.count(2);
    second.count(1);
    expect(second.counts.get('a')).toBe(3);
    expect(second.counts.state.skippedReplays).toBe(2);
    // once a commit passed the guard, it is retired
    await second.w.commit([{ topic: 'clicks', partition: 0, offset: '3' }]);
    second.count(3);
    expect(second.counts.get('a')).toBe(4);
  });
});
