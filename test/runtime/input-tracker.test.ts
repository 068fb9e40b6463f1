/**
 * The input queue and the commit tracker against plain models of what they must do, over long
 * random runs: long enough that their slots restart at 0 and move to the front (compaction)
 * many times, which short agent tests never reach.
 */
import { describe, expect, it } from 'vitest';
import { Input } from '../../src/app/input.js';
import { PartitionTracker } from '../../src/app/tracker.js';
import type { ConsumerRecord } from '../../src/transport/types.js';

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PartitionTracker', () => {
  it('commits the longest fully acknowledged prefix, acks in any order, over 200,000 records', () => {
    const next = random(7);
    const tracker = new PartitionTracker('t', 0);
    // the model: every record delivered, its offset and the acks it still waits for
    const offsets: number[] = [];
    const waiting: number[] = [];
    const seqs: number[] = [];
    const outstanding: number[] = []; // indexes into the model with acks to give
    let offset = 0;
    let done = 0; // the model's fully acknowledged prefix
    // deliver 200,000 records while acking at random (~3,000 outstanding), then ack the rest
    for (let step = 0; outstanding.length > 0 || offsets.length < 200_000; step++) {
      if (offsets.length < 200_000 && (outstanding.length < 3000 || next() < 0.5)) {
        offset += next() < 0.1 ? 2 : 1; // gaps, as compaction and transaction markers leave
        const consumers = next() < 0.2 ? 2 : 1;
        seqs.push(tracker.push(offset, consumers));
        offsets.push(offset);
        waiting.push(consumers);
        for (let c = 0; c < consumers; c++) outstanding.push(offsets.length - 1);
      } else {
        const at = Math.floor(next() * outstanding.length);
        const index = outstanding[at]!;
        outstanding[at] = outstanding[outstanding.length - 1]!;
        outstanding.pop();
        waiting[index]!--;
        tracker.ack(seqs[index]!);
      }
      while (done < waiting.length && waiting[done] === 0) done++;
      const expected = done === 0 ? -1 : offsets[done - 1]! + 1;
      if (tracker.committable !== expected) expect(tracker.committable, `step ${step}`).toBe(expected);
      if (tracker.inFlight !== waiting.length - done) expect(tracker.inFlight, `step ${step}`).toBe(waiting.length - done);
    }
    expect(offsets).toHaveLength(200_000);
    expect(tracker.inFlight).toBe(0);
    expect(tracker.committable).toBe(offset + 1);
  });

  it('forgets discarded records, and their late acks change nothing', async () => {
    const tracker = new PartitionTracker('t', 0);
    const seqs = [10, 11, 12, 13].map((offset) => tracker.push(offset, 1));
    tracker.ack(seqs[0]!);
    tracker.discardFrom(seqs[2]!); // 12 and 13 were queued, never handed out
    expect(tracker.inFlight).toBe(1);
    tracker.ack(seqs[1]!);
    expect(tracker.committable).toBe(12);
    await tracker.idle();
    // slots restart at 0: a new record's sequence number is fresh; a stale ack is ignored
    const again = tracker.push(12, 1);
    tracker.ack(seqs[0]!);
    expect(tracker.inFlight).toBe(1);
    tracker.ack(again);
    expect(tracker.committable).toBe(13);
  });
});

describe('Input', () => {
  /** A tracker stand-in that records the sequence numbers acknowledged. */
  const recorder = () => {
    const acked: number[] = [];
    return { acked, tracker: { ack: (seq: number) => void acked.push(seq) } as unknown as PartitionTracker };
  };
  const item = (n: number): ConsumerRecord => ({ topic: 't', partition: 0, offset: String(n), key: null, value: null, headers: {}, timestamp: n });

  it('hands items out in order and acknowledges exactly the delivered ones, over 100,000 random steps', () => {
    const next = random(11);
    const input = new Input('t', 1 << 30, undefined);
    const { acked, tracker } = recorder();
    const queue: ConsumerRecord[] = [];
    let pending: ConsumerRecord[] = [];
    const expectedAcks: number[] = [];
    let pushed = 0;
    for (let step = 0; step < 100_000; step++) {
      const r = next();
      // keep the queue from emptying for long stretches (its ring wraps and grows), then drain it
      const pushBias = step % 40_000 < 30_000 ? 0.55 : 0.3;
      if (r < pushBias) {
        const it = item(pushed);
        input.push(it, tracker, pushed++);
        queue.push(it);
      } else if (r < 0.85) {
        const got = input.deliverNext() as ConsumerRecord | undefined;
        expect(got).toBe(queue.shift());
        if (got !== undefined) pending.push(got);
      } else if (r < 0.95) {
        input.ackDelivered();
        for (const p of pending) expectedAcks.push(Number(p.offset));
        pending = [];
      } else if (pending.length > 0) {
        const victim = pending[Math.floor(next() * pending.length)]!;
        expect(input.ackItem(victim)).toBe(true);
        expect(input.ackItem(victim)).toBe(false);
        expectedAcks.push(Number(victim.offset));
        pending = pending.filter((p) => p !== victim);
      }
      if (input.length !== queue.length) expect(input.length, `step ${step}`).toBe(queue.length);
      if (input.current !== pending[pending.length - 1]) expect(input.current, `step ${step}`).toBe(pending[pending.length - 1]);
    }
    expect(input.pending).toEqual(pending);
    expect(acked).toEqual(expectedAcks);
    expect(input.deliveredTotal).toBe(pushed - queue.length);
  });

  it('discards the queued items of one partition and keeps the rest in order', () => {
    const input = new Input('t', 100, undefined);
    const a = recorder();
    const b = recorder();
    for (let n = 0; n < 10; n++) input.push(item(n), n % 2 === 0 ? a.tracker : b.tracker, n);
    expect(input.deliverNext()).toEqual(item(0));
    expect(input.discard(b.tracker)).toBe(1);
    expect(input.length).toBe(4);
    expect([input.deliverNext(), input.deliverNext()].map((i) => (i as ConsumerRecord).offset)).toEqual(['2', '4']);
    input.ackDelivered();
    expect(a.acked).toEqual([0, 2, 4]);
    expect(b.acked).toEqual([]);
  });

  it('discards from a queue that wrapped around its ring and grew, keeping the rest in order', () => {
    const input = new Input('t', 1 << 20, undefined);
    const a = recorder();
    const b = recorder();
    const owner = (n: number) => (n % 3 === 0 ? b.tracker : a.tracker);
    let pushed = 0;
    let delivered = 0;
    // wrap: fill, hand most out, fill again past the ring's end; then grow it while wrapped
    for (const [push, deliver] of [[1000, 900], [900, 0], [3000, 0]] as const) {
      for (let i = 0; i < push; i++) input.push(item(pushed), owner(pushed), pushed++);
      for (let i = 0; i < deliver; i++) expect((input.deliverNext() as ConsumerRecord).offset).toBe(String(delivered++));
    }
    const queued = Array.from({ length: pushed - delivered }, (_, i) => delivered + i);
    expect(input.discard(b.tracker)).toBe(queued.find((n) => n % 3 === 0));
    const kept = queued.filter((n) => n % 3 !== 0);
    expect(input.length).toBe(kept.length);
    for (let i = 0; i < 500; i++) input.push(item(pushed), a.tracker, pushed++); // and it takes more
    const rest: number[] = [];
    for (let got = input.deliverNext(); got !== undefined; got = input.deliverNext()) rest.push(Number(got.offset));
    expect(rest).toEqual([...kept, ...Array.from({ length: 500 }, (_, i) => pushed - 500 + i)]);
  });
});
