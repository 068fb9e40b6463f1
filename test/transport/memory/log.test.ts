import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../../src/transport/memory/index.js';

// The embedded broker's log keeps bytes in shared chunks (src/transport/memory/broker.ts): these
// tests pin down that records read back are exactly what was appended, wherever they landed.
describe('memory broker log storage', () => {
  it('reads back every record across many chunks, with null keys and values', () => {
    const broker = new MemoryBroker('log-test');
    broker.createTopic({ topic: 't', partitions: 1 });
    const sent = Array.from({ length: 20_000 }, (_, i) => ({
      key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
      value: i % 5 === 0 ? null : Buffer.from('v'.repeat(i % 300) + i),
      timestamp: 1_700_000_000_000 + i,
      headers: i % 7 === 0 ? { h: `x${i}` } : undefined,
    }));
    broker.append('t', sent);
    const log = broker.topics.get('t')!.logs[0]!;
    expect(log.end).toBe(sent.length);
    const records = log.read(0, log.end);
    const text = (b: Buffer | null) => (b === null ? null : b.toString('latin1'));
    expect(records.map((r) => [r.topic, r.partition, r.offset, text(r.key), text(r.value), r.timestamp, text((r.headers.h as Buffer | undefined) ?? null)])).toEqual(
      sent.map((m, i) => ['t', 0, String(i), text(m.key), text(m.value), m.timestamp, m.headers === undefined ? null : m.headers.h]),
    );
    expect(log.read(19_998, 30_000).map((r) => r.offset)).toEqual(['19998', '19999']);
  });

  it('keeps a value larger than a chunk, and its neighbours', () => {
    const broker = new MemoryBroker('log-test-big');
    broker.createTopic({ topic: 't', partitions: 1 });
    const big = Buffer.alloc(3 << 20, 7);
    broker.append('t', [
      { key: null, value: Buffer.from('before') },
      { key: null, value: big },
      { key: null, value: Buffer.from('after') },
    ]);
    const [before, stored, after] = broker.topics.get('t')!.logs[0]!.records;
    expect(before!.value!.toString()).toBe('before');
    expect(stored!.value!.equals(big)).toBe(true);
    expect(after!.value!.toString()).toBe('after');
  });

  it('copies the bytes: a producer reusing its buffer does not change what was sent', () => {
    const broker = new MemoryBroker('log-test-copy');
    broker.createTopic({ topic: 't', partitions: 1 });
    const scratch = Buffer.from('first');
    broker.append('t', [{ key: null, value: scratch }]);
    scratch.write('XXXXX');
    broker.append('t', [{ key: null, value: scratch }]);
    expect(broker.topics.get('t')!.logs[0]!.records.map((r) => r.value!.toString())).toEqual(['first', 'XXXXX']);
  });
});
