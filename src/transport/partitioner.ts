/**
 * Kafka's default partitioner, so that a key lands on the same partition number in the embedded
 * broker as it would in Kafka (Java client, librdkafka's `murmur2_random`, kafkajs's
 * `DefaultPartitioner`).
 *
 * Why not call kafkajs's murmur2: it is the reference we test against (test/runtime/partitioner
 * .test.ts checks equality on random keys and on Kafka's own UtilsTest values), but it works on
 * `Long` objects and allocates several per byte quartet; this one uses 32-bit `Math.imul`, which
 * keeps key partitioning off the profile of the hot path. Nothing above the driver layer may
 * import kafkajs either.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's `Utils.murmur2`: a signed 32-bit hash of the bytes (`data[start, end)`: those only). */
export function murmur2(data: Uint8Array, start = 0, end = data.length): number {
  const length = end - start;
  let h = (SEED ^ length) | 0;
  const whole = start + (length & ~3);
  for (let i = start; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a (non-null) key (`key[start, end)`: those bytes only). */
export function partitionForKey(key: Uint8Array, partitions: number, start = 0, end = key.length): number {
  return (murmur2(key, start, end) & 0x7fffffff) % partitions;
}
