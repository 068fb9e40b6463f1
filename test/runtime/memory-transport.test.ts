// The Transport contract, on the memory driver: what any driver must do (see src/transport/types.ts).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import type { RecordBatch, TopicPartition } from '../../src/transport/types.js';
import { partitionForKey } from '../../src/transport/partitioner.js';
import { isTopicMismatchError, isTransportError } from '../../src/errors.js';

const fresh = () => new MemoryTransport(`memory://contract-${randomUUID()}`);
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('memory transport', () => {
  it('creates, describes and lists topics; creating an existing topic checks it as kafka:// does', async () => {
    const t = fresh();
    const admin = t.admin();
    await admin.createTopics([{ topic: 'a', partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
    await admin.createTopics([{ topic: 'a', partitions: 3 }]);
    await expect(admin.createTopics([{ topic: 'a', partitions: 5 }])).rejects.toSatisfy(isTopicMismatchError);
    await expect(admin.createTopics([{ topic: 'a', partitions: 3, config: { 'cleanup.policy': 'delete' } }])).rejects.toThrow(
      /Topic a exists with cleanup\.policy=compact, but the app declares cleanup\.policy=delete/,
    );
    expect(await admin.describeTopics(['a'])).toEqual([{ topic: 'a', partitions: 3, replicationFactor: 1, config: { 'cleanup.policy': 'compact' } }]);
    expect(await admin.listTopics()).toEqual(['a']);
    await expect(admin.describeTopics(['missing'])).rejects.toSatisfy(isTransportError);
  });

  it('partitions by murmur2, keeps order per partition, stamps offsets and headers', async () => {
    const t = fresh();
    await t.admin().createTopics([{ topic: 'k', partitions: 4 }]);
    const producer = t.producer();
    const meta = await producer.send('k', [
      { key: Buffer.from('alice'), value: Buffer.from('1'), headers: { h: 'x' } },
      { key: Buffer.from('alice'), value: Buffer.from('2') },
      { key: null, value: Buffer.from('3'), partition: 2, timestamp: 42 },
    ]);
    const p = partitionForKey(Buffer.from('alice'), 4);
    expect(meta.slice(0, 2)).toEqual([
      { topic: 'k', partition: p, offset: '0' },
      { topic: 'k', partition: p, offset: '1' },
    ]);
    const read: Buffer[] = [];
    for await (const chunk of t.readPartition('k', p)) for (const r of chunk) read.push(r.value!);
    expect(read.map(String)).toEqual(['1', '2']);
    const [third] = (await collect(t.readPartition('k', 2)))!;
    expect(third!.timestamp).toBe(42);
    const [first] = (await collect(t.readPartition('k', p)))!;
    expect(first!.headers.h).toEqual(Buffer.from('x'));
    expect(await t.admin().fetchTopicOffsets('k')).toContainEqual({ partition: p, low: '0', high: '2' });
  });

  it('delivers batches after onAssigned resolved, resumes from committed offsets, pauses and resumes', async () => {
    const t = fresh();
    await t.admin().createTopics([{ topic: 'c', partitions: 1 }]);
    const producer = t.producer();
    await producer.send('c', Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) })));
    const events: string[] = [];
    let releaseAssign!: () => void;
    const consumer = t.consumer({ groupId: 'g', maxBatchSize: 4 });
    await consumer.subscribe(['c']);
    const running = consumer.run({
      onAssigned: async (tps) => {
        events.push(`assigned ${tps.map((tp) => tp.partition).join()}`);
        await new Promise<void>((resolve) => {
          releaseAssign = resolve;
        });
      },
      onRevoked: async () => void events.push('revoked'),
      onBatch: (batch: RecordBatch) => void events.push(`batch ${batch.records.map((r) => r.offset).join(',')}`),
    });
    await turn();
    expect(events).toEqual(['assigned 0']);
    releaseAssign();
    await running;
    for (let i = 0; i < 5; i++) await turn();
    expect(events).toEqual(['assigned 0', 'batch 0,1,2,3', 'batch 4,5,6,7', 'batch 8,9']);
    await consumer.commit([{ topic: 'c', partition: 0, offset: '6' }]);
    consumer.pause([{ topic: 'c', partition: 0 }]);
    await producer.send('c', [{ key: null, value: Buffer.from('10') }]);
    for (let i = 0; i < 5; i++) await turn();
    expect(events).toHaveLength(4);
    consumer.resume([{ topic: 'c', partition: 0 }]);
    for (let i = 0; i < 5; i++) await turn();
    expect(events.at(-1)).toBe('batch 10');
    await consumer.stop();
    expect(events.at(-1)).toBe('revoked');
    // a new member of the group starts at the committed offset
    const again = t.consumer({ groupId: 'g' });
    await again.subscribe(['c']);
    const seen: string[] = [];
    await again.run({ onAssigned: async () => {}, onRevoked: async () => {}, onBatch: (b) => void seen.push(...b.records.map((r) => r.offset)) });
    for (let i = 0; i < 5; i++) await turn();
    expect(seen).toEqual(['6', '7', '8', '9', '10']);
    await again.stop();
  });

  it('does not deliver the next batch of a partition before the previous batch promise settles', async () => {
    const t = fresh();
    await t.producer().send('slow', Array.from({ length: 6 }, () => ({ key: null, value: null })));
    const consumer = t.consumer({ groupId: 'g', maxBatchSize: 2 });
    await consumer.subscribe(['slow']);
    let release!: () => void;
    let batches = 0;
    await consumer.run({
      onAssigned: async () => {},
      onRevoked: async () => {},
      onBatch: () => {
        batches++;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    for (let i = 0; i < 5; i++) await turn();
    expect(batches).toBe(1);
    release();
    for (let i = 0; i < 5; i++) await turn();
    expect(batches).toBe(2);
    release();
    await consumer.stop();
  });

  it('shares partitions between members of a group, revoking before reassigning', async () => {
    const t = fresh();
    await t.admin().createTopics([{ topic: 'shared', partitions: 4 }]);
    const log: string[] = [];
    const member = (name: string) => {
      const c = t.consumer({ groupId: 'grp' });
      const owned = new Set<number>();
      const handlers = {
        onAssigned: async (tps: readonly TopicPartition[]) => {
          for (const tp of tps) owned.add(tp.partition);
          log.push(`${name}+${tps.map((tp) => tp.partition).join('')}`);
        },
        onRevoked: async (tps: readonly TopicPartition[]) => {
          for (const tp of tps) owned.delete(tp.partition);
          log.push(`${name}-${tps.map((tp) => tp.partition).join('')}`);
        },
        onBatch: () => {},
      };
      return { c, owned, handlers };
    };
    const a = member('a');
    const b = member('b');
    await a.c.subscribe(['shared']);
    await b.c.subscribe(['shared']);
    await a.c.run(a.handlers);
    await b.c.run(b.handlers);
    expect([...a.owned].sort()).toEqual([0, 2]);
    expect([...b.owned].sort()).toEqual([1, 3]);
    expect(log).toEqual(['a+0123', 'a-13', 'b+13']);
    await a.c.stop();
    expect([...b.owned].sort()).toEqual([0, 1, 2, 3]);
    await b.c.stop();
  });

  it('applies a transaction atomically on commit, and discards it on abort', async () => {
    const t = fresh();
    const producer = t.producer({ transactionalId: 'tx-1' });
    const tx = await producer.transaction();
    await tx.send('out', [{ key: null, value: Buffer.from('a') }]);
    await tx.sendOffsets('g', [{ topic: 'in', partition: 0, offset: '5' }]);
    expect(await t.admin().listTopics()).not.toContain('out');
    await tx.commit();
    expect((await collect(t.readPartition('out', 0)))!.map((r) => String(r.value))).toEqual(['a']);
    expect(await t.admin().fetchCommittedOffsets('g', 'in')).toEqual([{ topic: 'in', partition: 0, offset: '5' }]);
    const aborted = await producer.transaction();
    await aborted.send('out', [{ key: null, value: Buffer.from('b') }]);
    await aborted.abort();
    expect((await collect(t.readPartition('out', 0)))!.map((r) => String(r.value))).toEqual(['a']);
    // a newer producer with the same transactional id fences the older one
    const older = await producer.transaction();
    t.producer({ transactionalId: 'tx-1' });
    await expect(older.commit()).rejects.toSatisfy(isTransportError);
  });

  it('lets the event loop turn between batches whose handler returned a promise (regression: a backlog starved timers and commits)', async () => {
    const t = fresh();
    await t.producer().send('backlog', Array.from({ length: 2000 }, () => ({ key: null, value: null })));
    const consumer = t.consumer({ groupId: 'g', maxBatchSize: 10 });
    await consumer.subscribe(['backlog']);
    let batches = 0;
    let batchesBeforeTimer: number | undefined;
    await consumer.run({
      onAssigned: async () => {},
      onRevoked: async () => {},
      // a handler that is always "busy": each batch settles in a promise job
      onBatch: () => {
        batches++;
        return Promise.resolve();
      },
    });
    await new Promise<void>((resolve) => {
      setTimeout(() => {
        batchesBeforeTimer = batches;
        resolve();
      }, 0);
    });
    while (batches < 200) await turn();
    await consumer.stop();
    // before the fix all 200 batches ran in promise jobs before the timer could fire
    expect(batchesBeforeTimer).toBeLessThan(200);
  });

  it('hands consumers records whose lazily read fields equal the log (key, value, offset, null bytes, headers)', async () => {
    const t = fresh();
    await t.admin().createTopics([{ topic: 'lazy', partitions: 1 }]);
    await t.producer().send('lazy', [
      { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: { h: 'x' }, timestamp: 7 },
      { key: null, value: Buffer.from('v1') },
      { key: Buffer.from('k2'), value: null },
    ]);
    // the producer may reuse its buffers: the log holds copies
    const received: RecordBatch['records'][number][] = [];
    const consumer = t.consumer({ groupId: 'lazy' });
    await consumer.subscribe(['lazy']);
    await consumer.run({ onAssigned: async () => {}, onRevoked: async () => {}, onBatch: (b) => void received.push(...b.records) });
    for (let i = 0; i < 5; i++) await turn();
    await consumer.stop();
    const plain = await collect(t.readPartition('lazy', 0));
    expect(received).toHaveLength(3);
    const fields = (r: (typeof received)[number]) => ({ topic: r.topic, partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
    expect(received.map(fields)).toEqual(plain.map(fields));
    expect(received.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      ['0', 'k0', 'v0'],
      ['1', null, 'v1'],
      ['2', 'k2', null],
    ]);
    expect(received[0]!.headers.h?.toString()).toBe('x');
    expect(received[0]!.timestamp).toBe(7);
    // decoded where they lie: the same bytes as the views, null for null
    const asText = { decodeRange: (bytes: Buffer, start: number, end: number) => bytes.toString('latin1', start, end) };
    expect(received.map((r) => [r.readKey!(asText), r.readValue!(asText)])).toEqual([
      ['k0', 'v0'],
      [null, 'v1'],
      ['k2', null],
    ]);
    // read twice: the same view, not a new one per access
    expect(received[0]!.value).toBe(received[0]!.value);
    // once a view was made, in-place decoding reads it
    expect(received[0]!.readValue!(asText)).toBe('v0');
    // what JSON and loggers see: every field
    expect(JSON.parse(JSON.stringify(received[1]))).toMatchObject({ topic: 'lazy', partition: 0, offset: '1', key: null });
  });
});

async function collect<T>(chunks: AsyncIterable<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of chunks) out.push(...chunk);
  return out;
}
