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

  it('hands items out in order and acknowledges exactly the delivered ones, over 150,000 random steps', () => {
    const next = random(11);
    const input = new Input('t', 1 << 30, undefined);
    const { acked, tracker } = recorder();
    const queue: ConsumerRecord[] = [];
    let pending: ConsumerRecord[] = [];
    const deliveryOf = new Map<ConsumerRecord, number>();
    const expectedAcks: number[] = [];
    let pushed = 0;
    const ackOne = (victim: ConsumerRecord, step: number) => {
      // by its delivery number (as events do), by a wrong one, or by identity alone
      const how = next();
      const delivery = how < 0.4 ? deliveryOf.get(victim) : how < 0.6 ? deliveryOf.get(victim)! + 1 : undefined;
      expect(input.ackItem(victim, delivery), `step ${step}`).toBe(true);
      expect(input.ackItem(victim, delivery)).toBe(false);
      expectedAcks.push(Number(victim.offset));
      pending = pending.filter((p) => p !== victim);
    };
    for (let step = 0; step < 150_000; step++) {
      const r = next();
      const phase = step % 50_000;
      // keep the queue from emptying for long stretches (its ring wraps and grows), then drain it
      const pushBias = phase < 30_000 ? 0.55 : 0.3;
      // from 10,000 to 20,000: no acknowledging everything at once, so that thousands of items
      // stay pending and are acknowledged one by one, mostly oldest first (holes, compaction)
      const byHand = phase >= 10_000 && phase < 20_000;
      if (r < pushBias) {
        const it = item(pushed);
        input.push(it, tracker, pushed++);
        queue.push(it);
      } else if (r < 0.85) {
        const got = input.deliverNext() as ConsumerRecord | undefined;
        expect(got).toBe(queue.shift());
        if (got !== undefined) {
          pending.push(got);
          deliveryOf.set(got, input.lastDelivery);
        }
      } else if (r < 0.95 && !byHand) {
        input.ackDelivered();
        for (const p of pending) expectedAcks.push(Number(p.offset));
        pending = [];
      } else if (pending.length > 0) {
        const oldest = byHand && next() < 0.8;
        ackOne(oldest ? pending[0]! : pending[Math.floor(next() * pending.length)]!, step);
      }
      if (input.length !== queue.length) expect(input.length, `step ${step}`).toBe(queue.length);
      if (input.current !== pending[pending.length - 1]) expect(input.current, `step ${step}`).toBe(pending[pending.length - 1]);
      if (step % 997 === 0) expect(input.pending, `step ${step}`).toEqual(pending);
    }
    expect(input.pending).toEqual(pending);
    expect(acked).toEqual(expectedAcks);
    expect(input.deliveredTotal).toBe(pushed - queue.length);
  });

  it('acknowledges thousands of pending items one by one, oldest first, then by delivery number', () => {
    const input = new Input('t', 1 << 20, undefined);
    const { acked, tracker } = recorder();
    const delivered: { item: ConsumerRecord; delivery: number }[] = [];
    const deliver = (n: number) => {
      for (let i = 0; i < n; i++) {
        const at = delivered.length;
        input.push(item(at), tracker, at);
        const got = input.deliverNext() as ConsumerRecord;
        expect(got.offset).toBe(String(at));
        delivered.push({ item: got, delivery: input.lastDelivery });
      }
    };
    deliver(10_000);
    // oldest first: the acknowledged front is dropped (and the rest moved to the front) as it goes
    for (let i = 0; i < 9_000; i++) expect(input.ackItem(delivered[i]!.item)).toBe(true);
    deliver(500);
    expect(input.pending).toEqual(delivered.slice(9_000).map((d) => d.item));
    // the rest in a scrambled order, each by its delivery number
    const rest = delivered.slice(9_000);
    const order = rest.map((_, i) => (i * 7919) % rest.length);
    for (const i of order) expect(input.ackItem(rest[i]!.item, rest[i]!.delivery)).toBe(true);
    expect(input.pending).toEqual([]);
    expect(input.current).toBeUndefined();
    expect(acked).toEqual([...Array.from({ length: 9_000 }, (_, i) => i), ...order.map((i) => 9_000 + i)]);
    // and it starts again cleanly
    deliver(3);
    expect(input.pending.map((i) => (i as ConsumerRecord).offset)).toEqual(['10500', '10501', '10502']);
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
    for (let got = input.deliverNext(); got !== undefined; got = input.deliverNext()) rest.push(Number((got as ConsumerRecord).offset));
    expect(rest).toEqual([...kept, ...Array.from({ length: 500 }, (_, i) => pushed - 500 + i)]);
  });
});
