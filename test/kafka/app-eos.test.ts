/**
 * Exactly-once at App level on kafka:// (`processingGuarantee: 'exactly_once'`): a worker process
 * (workers/app-worker.ts) counts events into a table and yields one output per input; it is killed
 * with SIGKILL while a transaction has sent its output, changelog records and offsets but not
 * committed; a second worker of the same app takes the partitions over. Read committed, the output
 * holds every input's output exactly once and the changelog's counts are exact; read uncommitted,
 * the output also holds the killed transaction's records, which shows the kill landed mid-transaction.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openTransport } from '../../src/transport/index.js';
import type { ConsumerRecord, Transport } from '../../src/transport/types.js';
import { startWorker } from './child.js';
import { kafkaUrl, uniqueName, waitFor } from './helpers.js';

const script = fileURLToPath(new URL('./workers/app-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function readCommitted(t: Transport, topic: string, partitions: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  for (let p = 0; p < partitions; p++) for await (const records of t.readPartition(topic, p)) out.push(...records);
  return out;
}

/** Everything in the log, aborted transactions included (a read-uncommitted group consumer). */
async function readUncommitted(t: Transport, topic: string, atLeast: number): Promise<ConsumerRecord[]> {
  const consumer = t.consumer({ groupId: uniqueName('uncommitted'), readCommitted: false });
  await consumer.subscribe([topic]);
  const out: ConsumerRecord[] = [];
  await consumer.run({ onAssigned: async () => {}, onRevoked: async () => {}, onBatch: (b) => void out.push(...b.records) });
  await waitFor('the read-uncommitted reader to catch up', () => (out.length >= atLeast ? true : undefined), 30_000).catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await consumer.stop();
  return out;
}

describe('exactly_once App on kafka://', () => {
  it('writes every output exactly once (read committed) after a SIGKILL mid-transaction', async () => {
    const t = await openTransport(kafkaUrl, { clientId: 'app-eos-test' });
    try {
      const appId = uniqueName('app-eos');
      const input = uniqueName('app-eos-in');
      const output = uniqueName('app-eos-out');
      await t.admin().createTopics([{ topic: input, partitions: 4 }, { topic: output, partitions: 2 }]);
      const N = 600;
      const keyOf = (i: number) => `k${i % 11}`;
      const producer = t.producer();
      await producer.send(input, Array.from({ length: N }, (_, i) => ({ key: Buffer.from(keyOf(i)), value: Buffer.from(`${keyOf(i)}:${i}`) })));
      await producer.close();
      const url = `${kafkaUrl}?sessionTimeout=6000&heartbeatInterval=1000`;
      const dir = () => {
        const d = mkdtempSync(join(tmpdir(), 'mephisto-app-eos-'));
        dirs.push(d);
        return d;
      };

      // 5 ms per event, commits every 200 ms: the 3rd transaction with records hangs before its commit.
      const first = startWorker(script, [url, appId, input, output, dir(), 'exactly_once', '5', '2'], children);
      await first.line((l) => l === 'mid-transaction', '"mid-transaction"');
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(null);
      const committedOutput = (await readCommitted(t, output, 2)).length;
      expect(committedOutput).toBeGreaterThan(0);
      expect(committedOutput).toBeLessThan(N);

      const second = startWorker(script, [url, appId, input, output, dir(), 'exactly_once'], children);
      const out = await waitFor(
        'every input in the committed output',
        async () => {
          const records = await readCommitted(t, output, 2);
          return records.length >= N ? records : undefined;
        },
        100_000,
      );
      await waitFor(
        'every input offset committed',
        async () => ((await t.admin().fetchCommittedOffsets(appId, input)).reduce((n, o) => n + Number(o.offset), 0) === N ? true : undefined),
        30_000,
      );
      second.child.kill('SIGTERM');
      await second.exited;

      const values = (await readCommitted(t, output, 2)).map((r) => r.value!.toString()).sort();
      expect(out.length).toBe(N);
      expect(values).toEqual(Array.from({ length: N }, (_, i) => `${keyOf(i)}:${i}:done`).sort());
      // The table's counts (compacted view of its changelog) are exact too.
      const counts = new Map<string, number>();
      for (const r of await readCommitted(t, `${appId}-counts-changelog`, 4)) counts.set(r.key!.toString(), JSON.parse(r.value!.toString()) as number);
      const expected = new Map<string, number>();
      for (let i = 0; i < N; i++) expected.set(keyOf(i), (expected.get(keyOf(i)) ?? 0) + 1);
      expect([...counts].sort()).toEqual([...expected].sort());
      // The killed transaction's records are in the log, aborted: a read-uncommitted reader sees them too.
      const everything = await readUncommitted(t, output, N + 1);
      expect(everything.length).toBeGreaterThan(N);
    } finally {
      await t.close();
    }
  });
});
