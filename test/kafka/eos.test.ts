/**
 * Exactly-once on the kafka:// transport after a SIGKILL in the middle of a transaction: a worker
 * process (workers/eos-worker.ts) commits its output and its input offsets in one transaction per
 * batch; it is killed with an output batch sent but not committed; a second worker takes the
 * partitions over. Read committed, the output holds every input record exactly once; read
 * uncommitted, it also holds the killed transaction's records, which shows the kill happened where
 * it should.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openTransport } from '../../src/transport/index.js';
import type { ConsumerRecord, Transport } from '../../src/transport/types.js';
import { kafkaUrl, uniqueName, waitFor } from './helpers.js';

const worker = fileURLToPath(new URL('./workers/eos-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts a worker; resolves with it and a function that waits for a line of its output. */
function startWorker(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) (w.match(line) ? w.resolve : () => waiters.push(w))();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (match: (l: string) => boolean, what: string, ms = 90_000) =>
    new Promise<void>((resolve, reject) => {
      if (lines.some(match)) return resolve();
      const timer = setTimeout(() => reject(new Error(`worker never printed ${what}; it printed: ${lines.slice(-5).join(' | ')}`)), ms);
      waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
      void exited.then((code) => reject(new Error(`worker exited (${code}) before printing ${what}`)));
    });
  return { child, line, lines, exited };
}

async function readTopic(t: Transport, topic: string, partitions: number, readCommitted: boolean): Promise<ConsumerRecord[]> {
  if (readCommitted) {
    const out: ConsumerRecord[] = [];
    for (let p = 0; p < partitions; p++) for await (const records of t.readPartition(topic, p)) out.push(...records);
    return out;
  }
  // readPartition reads committed data only; a read-uncommitted group consumer sees everything.
  const consumer = t.consumer({ groupId: uniqueName('uncommitted'), readCommitted: false });
  await consumer.subscribe([topic]);
  const out: ConsumerRecord[] = [];
  const high = (await t.admin().fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
  await consumer.run({ onAssigned: async () => {}, onRevoked: async () => {}, onBatch: (b) => void out.push(...b.records) });
  // Every offset up to the high watermark, less the transaction markers (one per transaction).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await consumer.stop();
  expect(high).toBeGreaterThan(out.length);
  return out;
}

describe('exactly-once on kafka://', () => {
  it('loses and duplicates nothing in read-committed output after a SIGKILL mid-transaction', async () => {
    const t = await openTransport(kafkaUrl, { clientId: 'eos-test' });
    try {
      const input = uniqueName('eos-in');
      const output = uniqueName('eos-out');
      const groupId = uniqueName('eos-group');
      const txPrefix = uniqueName('eos-tx');
      await t.admin().createTopics([{ topic: input, partitions: 2 }, { topic: output, partitions: 2 }]);
      const producer = t.producer();
      const N = 200;
      await producer.send(input, Array.from({ length: N }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`e${i}`) })));
      await producer.close();
      // Sessions expire in 6 s, so that the second worker gets the partitions soon after the kill.
      const url = `${kafkaUrl}?sessionTimeout=6000&heartbeatInterval=1000`;

      const first = startWorker([url, input, output, groupId, txPrefix, '5']);
      await first.line((l) => l === 'mid-transaction', '"mid-transaction"');
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(null);
      const committedBeforeKill = first.lines.filter((l) => l.startsWith('committed')).length;
      expect(committedBeforeKill).toBe(5);

      const second = startWorker([url, input, output, groupId, txPrefix]);
      const done = await waitFor(
        'every input record in the committed output',
        async () => {
          const out = await readTopic(t, output, 2, true);
          return out.length >= N ? out : undefined;
        },
        120_000,
      );
      second.child.kill('SIGTERM');
      await second.exited;

      const values = done.map((r) => r.value!.toString()).sort();
      expect(values).toEqual(Array.from({ length: N }, (_, i) => `e${i}:processed`).sort());
      expect(new Set(values).size).toBe(N);
      const committed = await t.admin().fetchCommittedOffsets(groupId, input);
      expect(committed.reduce((n, c) => n + Number(c.offset), 0)).toBe(N);
      // The killed transaction's records are in the log, aborted: a read-uncommitted reader sees them twice.
      const everything = await readTopic(t, output, 2, false);
      expect(everything.length).toBeGreaterThan(N);
    } finally {
      await t.close();
    }
  });
});
