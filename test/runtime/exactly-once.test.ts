/**
 * `processingGuarantee: 'exactly_once'` on the embedded broker (src/app/exactly-once.ts): per
 * source partition, the agent's sends, the table's changelog records and the offsets become
 * visible together at a commit, and a transaction that is fenced (a newer owner took the
 * partition's transactional id) leaves nothing behind, so the next owner writes each output once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { resolveSettings } from '../../src/app/settings.js';
import { isConfigError, isExactlyOnceError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { withProducers } from '../transport/decorate.js';
import type { ConsumerRecord } from '../../src/transport/types.js';

let brokers = 0;
const freshBroker = () => `memory://eos-${process.pid}-${++brokers}`;

const input = defineTopic({ name: 'eos-in', key: codecs.string, value: codecs.string, partitions: 2 });
const output = defineTopic({ name: 'eos-out', key: codecs.string, value: codecs.string, partitions: 2 });
const APP = 'eos-counter';
const CHANGELOG = `${APP}-counts-changelog`;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Counts events per key into a table and yields `<value>:<count>` to the output topic. */
function counter(broker: string, processingGuarantee: 'exactly_once' | 'at_least_once' = 'exactly_once') {
  // Commits only when the test says so.
  const app = new App(APP, { broker, logger: silentLogger, commitInterval: 1_000_000_000, processingGuarantee });
  const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
  let processed = 0;
  app.agent(
    app.topic(input),
    async function* (stream) {
      for await (const value of stream) {
        const key = `k${Number(value.slice(1)) % 7}`; // as produced: e<i> has key k<i % 7>
        counts.set(key, counts.get(key) + 1);
        processed++;
        yield `${value}:${counts.get(key)}`;
      }
    },
    { sink: [app.topic(output)] },
  );
  stops.push(() => app.stop());
  return { app, counts, processed: () => processed };
}

async function produce(broker: string, from: number, to: number): Promise<void> {
  const t = new MemoryTransport(broker);
  await t.admin().createTopics([{ topic: input.name, partitions: 2 }]);
  const producer = t.producer();
  await producer.send(
    input.name,
    Array.from({ length: to - from }, (_, i) => ({ key: Buffer.from(`k${(from + i) % 7}`), value: Buffer.from(`e${from + i}`) })),
  );
}

async function read(broker: string, topic: string): Promise<ConsumerRecord[]> {
  const t = new MemoryTransport(broker);
  const names = await t.admin().listTopics();
  if (!names.includes(topic)) return [];
  const [described] = await t.admin().describeTopics([topic]);
  const out: ConsumerRecord[] = [];
  for (let p = 0; p < described!.partitions; p++) for await (const records of t.readPartition(topic, p)) out.push(...records);
  return out;
}

async function committed(broker: string): Promise<number> {
  const offsets = await new MemoryTransport(broker).admin().fetchCommittedOffsets(APP, input.name);
  return offsets.reduce((n, o) => n + Number(o.offset), 0);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const values = (records: readonly ConsumerRecord[]) => records.map((r) => r.value!.toString()).sort();

describe('exactly_once on memory://', () => {
  it('makes the sends, the changelog records and the offsets visible together at a commit', async () => {
    const broker = freshBroker();
    await produce(broker, 0, 100);
    const worker = counter(broker);
    await worker.app.start();
    await until(() => worker.processed() === 100, 'every event to be processed');
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Processed, not committed: nothing of it is visible.
    expect(await read(broker, output.name)).toEqual([]);
    expect(await read(broker, CHANGELOG)).toEqual([]);
    expect(await committed(broker)).toBe(0);

    await worker.app.commit();
    const out = await read(broker, output.name);
    expect(out).toHaveLength(100);
    expect(new Set(values(out).map((v) => v.split(':')[0])).size).toBe(100);
    const changelog = await read(broker, CHANGELOG);
    const last = new Map(changelog.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString()) as number]));
    expect(last.get('k0')).toBe(15); // 0, 7, ..., 98
    expect(last.get('k1')).toBe(15);
    expect(last.get('k2')).toBe(14);
    expect(await committed(broker)).toBe(100);
  });

  it('discards a fenced transaction whole, and the next owner writes each output once', async () => {
    const broker = freshBroker();
    await produce(broker, 0, 60);
    const first = counter(broker);
    await first.app.start();
    await until(() => first.processed() === 60, 'the first events to be processed');
    await first.app.commit();
    expect(await read(broker, output.name)).toHaveLength(60);
    const changelogBefore = (await read(broker, CHANGELOG)).length;

    await produce(broker, 60, 100);
    await until(() => first.processed() === 100, 'the later events to be processed');
    // A newer owner of both partitions (as after a rebalance the first worker did not hear of).
    const usurper = new MemoryTransport(broker);
    for (const partition of [0, 1]) usurper.producer({ transactionalId: `${APP}-${input.name}-${partition}` });
    await first.app.commit();

    // The fenced transactions left nothing: no output, no changelog record, no offset.
    expect(await read(broker, output.name)).toHaveLength(60);
    expect(await read(broker, CHANGELOG)).toHaveLength(changelogBefore);
    expect(await committed(broker)).toBe(60);
    expect(first.app.state).toBe('running');
    await first.app.stop();
    expect(await committed(broker)).toBe(60);

    const second = counter(broker);
    await second.app.start();
    await until(() => second.processed() === 40, 'the second worker to redo the fenced events');
    await second.app.commit();
    const out = values(await read(broker, output.name));
    expect(out).toHaveLength(100);
    const inputs = out.map((v) => v.split(':')[0]);
    expect(new Set(inputs).size).toBe(100);
    // Counts went on from the committed state (restored from the changelog), not from the fenced one.
    const expected: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const key = `k${i % 7}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      expected.push(`e${i}:${seen.get(key)}`);
    }
    expect(out).toEqual(expected.sort());
    expect(await committed(broker)).toBe(100);
  });

  it('stops the worker with an ExactlyOnceError when a transaction fails, committing nothing of it', async () => {
    const broker = freshBroker();
    await produce(broker, 0, 30);
    const inner = new MemoryTransport(broker);
    let failCommits = false;
    // The memory transport, with transaction commits that fail on demand (as a broker error would).
    const transport = withProducers(inner, (producer) => ({
      transaction: async () => {
        const tx = await producer.transaction();
        return { ...tx, commit: () => (failCommits ? Promise.reject(new Error('broker unavailable')) : tx.commit()) };
      },
    }));
    const app = new App(APP, { broker: transport, logger: silentLogger, commitInterval: 1_000_000_000, processingGuarantee: 'exactly_once' });
    let processed = 0;
    app.agent(app.topic(input), async function* (stream) {
      for await (const value of stream) {
        processed++;
        yield value;
      }
    }, { sink: [app.topic(output)] });
    stops.push(() => app.stop());
    await app.start();
    await until(() => processed === 30, 'every event to be processed');
    failCommits = true;
    let error: unknown;
    await app.commit().catch((e: unknown) => (error = e));
    expect(isExactlyOnceError(error)).toBe(true);
    expect(String(error)).toMatch(/eos-counter-eos-in-\d+ for eos-in\[\d\] failed: broker unavailable/);
    await expect(app.stopped()).rejects.toBe(error);
    expect(app.state).toBe('stopped');
    expect(await read(broker, output.name)).toEqual([]);
    expect(await committed(broker)).toBe(0);
  });

  // Regression: an async generator's body runs in the context of whoever calls next(); the agent
  // loop did so outside the instance's context, so tables written from yielding agents saw no event.
  it('regression: a yielding agent writes its table (at_least_once too)', async () => {
    const broker = freshBroker();
    await produce(broker, 0, 20);
    const worker = counter(broker, 'at_least_once');
    await worker.app.start();
    await until(() => worker.processed() === 20, 'every event to be processed');
    await worker.app.commit();
    expect(await read(broker, output.name)).toHaveLength(20);
    expect(await read(broker, `${APP}-agent0-dlq`)).toEqual([]);
    expect(worker.counts.get('k0')).toBe(3); // 0, 7, 14
  });

  it('is off by default and read from MEPHISTO_PROCESSING_GUARANTEE', () => {
    expect(resolveSettings('a', { env: {} }).processingGuarantee).toBe('at_least_once');
    expect(resolveSettings('a', { env: { MEPHISTO_PROCESSING_GUARANTEE: 'exactly_once' } }).processingGuarantee).toBe('exactly_once');
    expect(resolveSettings('a', { env: { MEPHISTO_PROCESSING_GUARANTEE: 'exactly_once' }, processingGuarantee: 'at_least_once' }).processingGuarantee).toBe(
      'at_least_once',
    );
    let error: unknown;
    try {
      resolveSettings('a', { env: { MEPHISTO_PROCESSING_GUARANTEE: 'exactly-once' } });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect(String(error)).toMatch(/MEPHISTO_PROCESSING_GUARANTEE.*exactly-once/);
  });
});
