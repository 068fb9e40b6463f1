/**
 * Compaction of `cleanup.policy=compact` topics on the embedded broker (src/transport/memory/compaction.ts):
 * the latest record of each key is kept at its original offset, earlier ones are gone from every
 * read (gaps), a tombstone outlives `delete.retention.ms` by no pass, records without a key stay.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryTransport } from '../../../src/transport/memory/index.js';
import { MIN_DIRTY } from '../../../src/transport/memory/compaction.js';
import type { ConsumerRecord, RecordBatch } from '../../../src/transport/types.js';

function fresh(): { t: MemoryTransport; broker: MemoryBroker } {
  const t = new MemoryTransport(`memory://compaction-${randomUUID()}`);
  return { t, broker: t.broker };
}

const text = (b: Buffer | null) => (b === null ? null : b.toString());
const rec = (key: string | null, value: string | null) => ({ key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), partition: 0 });

async function readAll(t: MemoryTransport, topic: string): Promise<Array<[string, string | null, string | null]>> {
  const out: Array<[string, string | null, string | null]> = [];
  for await (const records of t.readPartition(topic, 0, { maxBatchSize: 2 })) for (const r of records) out.push([r.offset, text(r.key), text(r.value)]);
  return out;
}

describe('compaction on memory://', () => {
  it('keeps the latest record per key at its offset, a tombstone until its retention passed, and keyless records', async () => {
    const { t, broker } = fresh();
    await t.admin().createTopics([{ topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
    await t.producer().send('c', [rec('a', '1'), rec('b', '1'), rec('a', '2'), rec('a', null), rec(null, 'x'), rec('c', '1'), rec('b', '2')]);
    const [report] = broker.compact('c');
    expect(report).toMatchObject({ scanned: 7, removed: 3, kept: 4 });
    expect(await readAll(t, 'c')).toEqual([
      ['3', 'a', null],
      ['4', null, 'x'],
      ['5', 'c', '1'],
      ['6', 'b', '2'],
    ]);
    // the log's end (the next offset) is what it was
    expect(await t.admin().fetchTopicOffsets('c')).toEqual([{ partition: 0, low: '0', high: '7' }]);
    // a day later (delete.retention.ms by default) the tombstone goes too
    broker.compact('c', { now: Date.now() + 86_400_000 });
    expect((await readAll(t, 'c')).map(([offset]) => offset)).toEqual(['4', '5', '6']);
    // records appended after a pass are read after the survivors, from any position
    await t.producer().send('c', [rec('c', '2')]);
    expect(await readAll(t, 'c')).toEqual([
      ['4', null, 'x'],
      ['5', 'c', '1'],
      ['6', 'b', '2'],
      ['7', 'c', '2'],
    ]);
    const from6: string[] = [];
    for await (const records of t.readPartition('c', 0, { from: '5' })) for (const r of records) from6.push(r.offset);
    expect(from6).toEqual(['5', '6', '7']);
  });

  it('removes a tombstone in the first pass with delete.retention.ms=0', async () => {
    const { t, broker } = fresh();
    await t.admin().createTopics([{ topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact', 'delete.retention.ms': '0' } }]);
    await t.producer().send('c', [rec('a', '1'), rec('b', '1'), rec('a', null)]);
    broker.compact('c');
    expect(await readAll(t, 'c')).toEqual([['1', 'b', '1']]);
  });

  it('runs by itself once a compacted log grew past the threshold, and never on other topics', async () => {
    const { t } = fresh();
    await t.admin().createTopics([
      { topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact' } },
      { topic: 'd', partitions: 1 },
    ]);
    const updates = Array.from({ length: MIN_DIRTY * 3 }, (_, i) => rec(`k${i % 5}`, String(i)));
    await t.producer().send('c', updates);
    await t.producer().send('d', updates);
    const compacted = await readAll(t, 'c');
    expect(compacted.map(([offset]) => Number(offset))).toEqual([0, 1, 2, 3, 4].map((k) => MIN_DIRTY * 3 - 5 + k));
    expect(await readAll(t, 'd')).toHaveLength(MIN_DIRTY * 3);
  });

  it('hands a group consumer only the records held, with their offsets, and commits past the gaps', async () => {
    const { t, broker } = fresh();
    await t.admin().createTopics([{ topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
    await t.producer().send('c', [rec('a', '1'), rec('a', '2'), rec('b', '1'), rec('a', '3'), rec('b', '2')]);
    broker.compact('c');
    const consumer = t.consumer({ groupId: 'g' });
    const seen: ConsumerRecord[] = [];
    await consumer.subscribe(['c']);
    await consumer.run({
      onAssigned: async () => {},
      onRevoked: async () => {},
      onBatch: (batch: RecordBatch) => {
        seen.push(...batch.records);
      },
    });
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((r) => [r.offset, text(r.key), text(r.value)])).toEqual([
      ['3', 'a', '3'],
      ['4', 'b', '2'],
    ]);
    expect(await consumer.commit([{ topic: 'c', partition: 0, offset: '5' }])).toBe(true);
    await consumer.stop();
  });
});
