/**
 * The runtime's per-record bookkeeping on its own (`npm run bench:bookkeeping`): the bounded
 * queue between the consumer and an agent instance (`Input`) and the commit tracker of a
 * partition (`PartitionTracker`), each in the two states a worker is in.
 *
 * - queue, emptied every batch: the consumer pushes a batch, the handler takes all of it (an agent
 *   faster than its input);
 * - queue, never empty: the queue stays near its capacity, the handler takes 500 records and the
 *   consumer refills 500 (a back-pressured agent, slower than its input: the usual state under load);
 * - manual acknowledgement: batches of 1,000 events handed out, then acknowledged one by one,
 *   oldest first, each by its delivery number (what `stream.events()` + `event.ack()` do with
 *   `ack: 'manual'` and `take(1000)`);
 * - tracker, caught up: every record is acknowledged before the next batch is delivered;
 * - tracker, lagging: the consumer stays 6,000 records ahead of the acknowledgements (a handler
 *   working on one batch while the next ones are queued).
 *
 * Nanoseconds per record (push, hand out, acknowledge), best of 5 rounds of 4,000,000 records
 * each (200,000 for manual acknowledgement), in one process. Rows go to bench/results/bookkeeping.json.
 */
import { Input } from '../src/app/input.js';
import { PartitionTracker } from '../src/app/tracker.js';
import type { ConsumerRecord } from '../src/transport/types.js';
import { row, writeResults, type BenchRow } from './results.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 4_000_000);
const ROUNDS = Number(process.env.BENCH_RUNS ?? 5);
const CAPACITY = 4096; // the default bufferSize

const records: ConsumerRecord[] = Array.from({ length: 1000 }, (_, i) => ({ topic: 't', partition: 0, offset: String(i), key: null, value: null, headers: {}, timestamp: 0 }));

/** Push 1,000, hand out 1,000, acknowledge them: the queue empties every batch. */
function queueEmptied(): number {
  const input = new Input('t', CAPACITY, undefined);
  let seq = 0;
  for (let b = 0; b < RECORDS / 1000; b++) {
    for (let i = 0; i < 1000; i++) input.push(records[i]!, null, seq++);
    for (let i = 0; i < 1000; i++) input.deliverNext();
    input.ackDelivered();
  }
  return input.length;
}

/** The queue starts full; hand out 500, acknowledge them, push 500: it never empties. */
function queueNeverEmpty(): number {
  const input = new Input('t', CAPACITY, undefined);
  let seq = 0;
  for (let i = 0; i < CAPACITY; i++) input.push(records[i % 1000]!, null, seq++);
  for (let b = 0; b < RECORDS / 500; b++) {
    for (let i = 0; i < 500; i++) input.deliverNext();
    input.ackDelivered();
    for (let i = 0; i < 500; i++) input.push(records[i]!, null, seq++);
  }
  return input.length;
}

const MANUAL_RECORDS = Math.min(RECORDS, 200_000);

/** Hand out 1,000 records, acknowledge each by hand, oldest first; again. */
function manualAcks(): number {
  const input = new Input('t', CAPACITY, undefined);
  const tracker = new PartitionTracker('t', 0);
  const handed: ConsumerRecord[] = [];
  const deliveries: number[] = [];
  let offset = 0;
  for (let b = 0; b < MANUAL_RECORDS / 1000; b++) {
    for (let i = 0; i < 1000; i++) input.push(records[i]!, tracker, tracker.push(offset++, 1));
    handed.length = deliveries.length = 0;
    for (let i = 0; i < 1000; i++) {
      handed.push(input.deliverNext() as ConsumerRecord);
      deliveries.push(input.lastDelivery);
    }
    for (let i = 0; i < 1000; i++) input.ackItem(handed[i]!, deliveries[i]);
  }
  return tracker.committable;
}

/** Deliver 1,000 records, acknowledge all of them, again. */
function trackerCaughtUp(): number {
  const tracker = new PartitionTracker('t', 0);
  let offset = 0;
  for (let b = 0; b < RECORDS / 1000; b++) {
    const first = tracker.push(offset++, 1);
    for (let i = 1; i < 1000; i++) tracker.push(offset++, 1);
    for (let i = 0; i < 1000; i++) tracker.ack(first + i);
  }
  return tracker.committable;
}

/** 6,000 records delivered ahead; then deliver 1,000 and acknowledge the oldest 1,000, again. */
function trackerLagging(): number {
  const tracker = new PartitionTracker('t', 0);
  let offset = 0;
  let oldest = tracker.push(offset++, 1);
  for (let i = 1; i < 6000; i++) tracker.push(offset++, 1);
  for (let b = 0; b < RECORDS / 1000; b++) {
    for (let i = 0; i < 1000; i++) tracker.push(offset++, 1);
    for (let i = 0; i < 1000; i++) tracker.ack(oldest++);
  }
  return tracker.committable;
}

const cases = [
  ['agent input queue, emptied every batch (push, hand out, acknowledge)', queueEmptied],
  ['agent input queue, never empty (back-pressured: near capacity, 500 out, 500 in)', queueNeverEmpty],
  ['manual acknowledgement, batches of 1,000 events acknowledged one by one, oldest first', manualAcks],
  ['commit tracker, caught up (every record acknowledged before the next batch)', trackerCaughtUp],
  ['commit tracker, lagging (6,000 records delivered ahead of the acknowledgements)', trackerLagging],
] as const;

function main(): void {
  console.log(`bookkeeping bench: ${RECORDS} records per round, best of ${ROUNDS}, node ${process.version}`);
  const best = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of cases) {
      const started = process.hrtime.bigint();
      fn();
      const ns = Number(process.hrtime.bigint() - started) / (fn === manualAcks ? MANUAL_RECORDS : RECORDS);
      best.set(name, Math.min(best.get(name) ?? Infinity, ns));
    }
  }
  const rows: BenchRow[] = [];
  for (const [name] of cases) {
    const ns = Number(best.get(name)!.toFixed(1));
    console.log(`${name.padEnd(84)} ${String(ns).padStart(7)} ns/record`);
    rows.push(row('bookkeeping', name, 'nsPerRecord', ns, 'ns'));
  }
  console.log(`wrote ${writeResults('bookkeeping', rows)}`);
}

main();
