/**
 * Table benchmarks (`npm run bench:tables`), one process, one core:
 *
 * - count-by-key: 1,000,000 events over 100,000 distinct keys into a level-backed table,
 *   `counts.set(key, counts.get(key) + 1)` per event, committing every 100,000 events (changelog
 *   sends to the embedded broker and one level batch per commit, included in the time);
 *   compared, in the same run, with an awaited level get + put per event (the naive store).
 * - recovery: a 1,000,000-record changelog (4 partitions, distinct keys) restored into an empty
 *   level store, as a worker does on its first start.
 *
 * Rows go to bench/results/tables.json; the figures are quoted in BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Level } from 'level';
import { codecs } from '../src/serde/index.js';
import { defineTable } from '../src/tables/index.js';
import { MemoryBroker, MemoryTransport } from '../src/transport/memory/index.js';
import { peakRssMB, row, writeResults, type BenchRow } from './results.js';
import { BenchWorker } from './tables-worker.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const COMMIT_EVERY = 100_000;
const NAIVE_EVENTS = Math.min(EVENTS, 100_000);
const RECOVERY_RECORDS = Number(process.env.BENCH_RECOVERY ?? 1_000_000);
const PARTITIONS = 4;

const rows: BenchRow[] = [];
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-bench-tables-'));
  dirs.push(dir);
  return dir;
}

/** Keys drawn from a fixed LCG so every run sees the same sequence. */
function keySequence(n: number, keys: number): string[] {
  const names = Array.from({ length: keys }, (_, i) => `/page/${i}`);
  const out = new Array<string>(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = names[state % keys]!;
  }
  return out;
}

async function countByKey(): Promise<void> {
  const brokerUrl = 'memory://bench-count';
  const dir = tempDir();
  const worker = new BenchWorker(brokerUrl, dir, `level://${dir}`);
  await worker.transport.admin().createTopics([{ topic: 'clicks', partitions: PARTITIONS }]);
  const counts = defineTable(worker, 'counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'clicks' });
  await worker.start(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'clicks', partition })));
  const keys = keySequence(EVENTS, KEYS);
  const partitionOf = new Map<string, number>();
  for (const key of keys) if (!partitionOf.has(key)) partitionOf.set(key, partitionOf.size % PARTITIONS);
  const offsets = new Array<number>(PARTITIONS).fill(0);

  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let i = 0; i < EVENTS; i++) {
    const key = keys[i]!;
    const partition = partitionOf.get(key)!;
    worker.process('clicks', partition, offsets[partition]!++, () => {
      counts.set(key, counts.get(key) + 1);
    });
    if ((i + 1) % COMMIT_EVERY === 0) await worker.commit();
  }
  await worker.commit();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total !== EVENTS || counts.size !== new Set(keys).size) throw new Error(`count-by-key lost events: ${total} of ${EVENTS}`);
  const changelog = (await worker.transport.admin().fetchTopicOffsets('bench-counts-changelog')).reduce((s, o) => s + Number(o.high), 0);
  await worker.stop();
  MemoryBroker.drop(brokerUrl);

  const rate = EVENTS / seconds;
  console.log(
    `count-by-key: ${EVENTS} events, ${KEYS} keys: ${seconds.toFixed(2)} s wall (${Math.round(rate)} events/s), ` +
      `${cpuSeconds.toFixed(2)} s CPU (${Math.round(EVENTS / cpuSeconds)} events per CPU-second), changelog ${changelog} records`,
  );
  const name = `count-by-key, level store, ${EVENTS} events over ${KEYS} keys, commit every ${COMMIT_EVERY}`;
  rows.push(row('tables', name, 'eventsPerSec', Math.round(rate), 'events/s'));
  rows.push(row('tables', name, 'eventsPerCpuSec', Math.round(EVENTS / cpuSeconds), 'events/s'));
  rows.push(row('tables', name, 'wallMs', Math.round(seconds * 1000), 'ms'));
  rows.push(row('tables', `${name}, changelog written`, 'records', changelog, 'records'));
  rows.push(row('tables', `${name}, peak of the process so far`, 'rssMB', Math.round(peakRssMB()), 'MiB'));
}

/** The naive store the cache exists to avoid: an awaited level get, then a put, per event. */
async function naiveLevel(): Promise<void> {
  const db = new Level<string, string>(tempDir());
  await db.open();
  const keys = keySequence(NAIVE_EVENTS, KEYS);
  const started = performance.now();
  for (const key of keys) {
    const value = await db.get(key);
    await db.put(key, String((value === undefined ? 0 : Number(value)) + 1));
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  const rate = NAIVE_EVENTS / seconds;
  console.log(`naive awaited level get+put: ${NAIVE_EVENTS} events: ${Math.round(rate)} events/s`);
  rows.push(row('tables', `count-by-key, naive awaited level get+put per event, ${NAIVE_EVENTS} events`, 'eventsPerSec', Math.round(rate), 'events/s'));
}

async function recovery(): Promise<void> {
  const brokerUrl = 'memory://bench-recovery';
  const transport = new MemoryTransport(brokerUrl);
  await transport.admin().createTopics([{ topic: 'clicks', partitions: PARTITIONS }]);
  await transport.admin().createTopics([{ topic: 'bench-counts-changelog', partitions: PARTITIONS, config: { 'cleanup.policy': 'compact' } }]);
  const producer = transport.producer();
  const CHUNK = 50_000;
  for (let at = 0; at < RECOVERY_RECORDS; at += CHUNK) {
    const records = [];
    for (let i = at; i < Math.min(RECOVERY_RECORDS, at + CHUNK); i++) {
      records.push({ key: Buffer.from(`/page/${i}`), value: Buffer.from(String(i % 1000)), partition: i % PARTITIONS });
    }
    await producer.send('bench-counts-changelog', records);
  }

  const dir = tempDir();
  const worker = new BenchWorker(brokerUrl, dir, `level://${dir}`);
  const counts = defineTable(worker, 'counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'clicks' });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  await worker.start(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'clicks', partition })));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const restored = counts.recoveries.reduce((s, r) => s + r.records, 0);
  if (restored !== RECOVERY_RECORDS || counts.size !== RECOVERY_RECORDS) throw new Error(`recovery restored ${restored} records, ${counts.size} keys`);
  await worker.stop();

  // And the restart the level store exists for: the same directory, nothing to replay.
  const again = new BenchWorker(brokerUrl, dir, `level://${dir}`);
  const reopened = defineTable(again, 'counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: 'clicks' });
  const restartedAt = performance.now();
  await again.start(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'clicks', partition })));
  const restartSeconds = (performance.now() - restartedAt) / 1000;
  if (reopened.size !== RECOVERY_RECORDS || reopened.recoveries.some((r) => r.records !== 0)) throw new Error('restart replayed records');
  await again.stop();
  MemoryBroker.drop(brokerUrl);

  const rate = RECOVERY_RECORDS / seconds;
  console.log(
    `recovery: ${RECOVERY_RECORDS} records into an empty level store: ${seconds.toFixed(2)} s wall (${Math.round(rate)} records/s), ` +
      `${cpuSeconds.toFixed(2)} s CPU (${Math.round(RECOVERY_RECORDS / cpuSeconds)} per CPU-second)`,
  );
  console.log(`restart on the same directory (load ${RECOVERY_RECORDS} keys from level, replay 0): ${restartSeconds.toFixed(2)} s`);
  const name = `recovery, ${RECOVERY_RECORDS}-record changelog into an empty level store`;
  rows.push(row('tables', name, 'recordsPerSec', Math.round(rate), 'records/s'));
  rows.push(row('tables', name, 'recordsPerCpuSec', Math.round(RECOVERY_RECORDS / cpuSeconds), 'records/s'));
  rows.push(row('tables', name, 'wallMs', Math.round(seconds * 1000), 'ms'));
  rows.push(row('tables', `restart on the same level store, load ${RECOVERY_RECORDS} keys, replay 0`, 'wallMs', Math.round(restartSeconds * 1000), 'ms'));
  rows.push(row('tables', `${name}, peak of the process so far`, 'rssMB', Math.round(peakRssMB()), 'MiB'));
}

try {
  const only = process.argv[2];
  if (only === undefined || only === 'count') await countByKey();
  if (only === undefined || only === 'naive') await naiveLevel();
  if (only === undefined || only === 'recovery') await recovery();
  if (only === undefined) {
    rows.push(row('tables', 'all cases', 'loadAverage1m', Number(loadavg()[0]!.toFixed(2)), 'load'));
    const path = writeResults('tables', rows);
    console.log(`rows written to ${path}`);
  } else {
    // A run's rows replace all of the bench's rows: a partial run would drop the other cases'.
    console.log(`only '${only}' ran: rows not written (run without an argument to update bench/results/tables.json)`);
  }
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
