/**
 * Regression: the embedded broker never compacted changelogs, so a table's recovery on memory://
 * replayed every update ever made. Now it reads about one record per key, at the offsets the
 * records were written at, and keys deleted in the table stay deleted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { codecs } from '../../src/serde/index.js';
import { defineTable } from '../../src/tables/index.js';
import { MemoryBroker } from '../../src/transport/memory/index.js';
import { dropBroker, freshBrokerUrl, Worker } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const KEYS = 10;
const UPDATES = 5000;
const CHANGELOG = 'clicks-app-latest-changelog';

async function worker(url: string) {
  const w = new Worker(url, '/nonexistent', 'memory://');
  await w.transport.admin().createTopics([{ topic: 'clicks', partitions: 1 }]);
  const latest = defineTable(w, 'latest', { key: codecs.string, value: codecs.json<number>(), source: 'clicks' });
  await w.start([{ topic: 'clicks', partition: 0 }]);
  cleanups.push(async () => {
    if (w.running) await w.crash();
  });
  return { w, latest };
}

/** The offset of each key's last record in the changelog, and the log's end. */
async function lastOffsets(w: Worker): Promise<{ last: Map<string, string>; end: string }> {
  const last = new Map<string, string>();
  for await (const records of w.transport.readPartition(CHANGELOG, 0)) for (const r of records) last.set(r.key!.toString(), r.offset);
  const [offsets] = await w.transport.admin().fetchTopicOffsets(CHANGELOG);
  return { last, end: offsets!.high };
}

describe('a table on memory:// with many updates to few keys', () => {
  it('recovers from its compacted changelog reading about one record per key, offsets unchanged, deleted keys deleted', async () => {
    const url = freshBrokerUrl();
    cleanups.push(() => dropBroker(url));
    const first = await worker(url);
    for (let i = 0; i < UPDATES; i++) {
      first.w.process({ topic: 'clicks', partition: 0, offset: i }, () => first.latest.set(`k${i % KEYS}`, i));
      if (i % KEYS === KEYS - 1) await first.w.commit(); // every update reaches the changelog
    }
    first.w.process({ topic: 'clicks', partition: 0, offset: UPDATES }, () => first.latest.delete('k0'));
    await first.w.stop();
    // What a reader of the uncompacted log ends with (nothing has read it yet, so no pass ran).
    const changelog = MemoryBroker.forUrl(url).topics.get(CHANGELOG)!.logs[0]!;
    expect(changelog.end).toBeGreaterThanOrEqual(UPDATES);
    const keyOf = (offset: number) => changelog.keyAt(offset)!.toString();
    const lastWritten = new Map<string, string>();
    for (let offset = 0; offset < changelog.end; offset++) lastWritten.set(keyOf(offset), String(offset));

    const second = await worker(url);
    const restored = second.latest.recoveries.reduce((sum, r) => sum + r.records, 0);
    expect(restored).toBeLessThanOrEqual(KEYS); // nine values and k0's tombstone (kept for a day)
    expect(restored).toBeGreaterThanOrEqual(KEYS - 1);
    expect(second.latest.has('k0')).toBe(false);
    expect(Object.fromEntries(second.latest.entries())).toEqual(
      Object.fromEntries(Array.from({ length: KEYS - 1 }, (_, k) => [`k${k + 1}`, UPDATES - KEYS + k + 1])),
    );
    const { last, end } = await lastOffsets(second.w);
    expect(last).toEqual(lastWritten);
    expect(end).toBe(String(changelog.end));

    // The compacted changelog goes on from its end: new writes recover after the survivors.
    second.w.process({ topic: 'clicks', partition: 0, offset: UPDATES + 1 }, () => second.latest.set('k0', -1));
    await second.w.stop();
    const third = await worker(url);
    expect(third.latest.get('k0')).toBe(-1);
    expect(third.latest.get('k9')).toBe(UPDATES - 1);
    expect(third.latest.recoveries.reduce((sum, r) => sum + r.records, 0)).toBeLessThanOrEqual(KEYS + 1);
  });
});
