import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/transport/partitioner.js';

// kafkajs's DefaultPartitioner hash: the reference implementation (tests may import kafkajs).
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

describe('murmur2 (Kafka default partitioner)', () => {
  // Kafka's clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java testMurmur2, and
  // librdkafka's rdmurmur2.c cases.
  const kafkaValues: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ];
  it.each(kafkaValues)('hashes %j as Kafka does', (key, want) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(want);
  });

  it('agrees with kafkajs on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(bytes)).toBe(kafkajsMurmur2(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('picks partitions like kafkajs DefaultPartitioner', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 64 }), (key, partitions) => {
        const bytes = Buffer.from(key, 'utf8');
        const want = (kafkajsMurmur2(bytes) & 0x7fffffff) % partitions;
        const got = partitionForKey(bytes, partitions);
        expect(got).toBe(want);
        expect(got).toBeGreaterThanOrEqual(0);
        expect(got).toBeLessThan(partitions);
      }),
    );
  });
});
