/**
 * The kafka:// producer's request cutting, against a stand-in for the kafkajs client (no broker):
 * what it asks kafkajs to send, and the offsets it reports back.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logging.js';
import { KafkaProducer, MAX_REQUEST_RECORDS } from '../../../src/transport/kafka/producer.js';
import type { ProducerRecord } from '../../../src/transport/types.js';

interface SentMessage {
  readonly partition: number;
}
interface SentRequest {
  readonly topicMessages: { topic: string; messages: SentMessage[] }[];
}

/** A kafkajs client whose producer records each request and answers like a broker would. */
function fakeKafka(): { kafka: Kafka; requests: SentRequest[] } {
  const requests: SentRequest[] = [];
  const next = new Map<string, number>();
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: async (request: SentRequest) => {
      requests.push(request);
      const response: { topicName: string; partition: number; errorCode: number; baseOffset: string }[] = [];
      for (const { topic, messages } of request.topicMessages) {
        const counts = new Map<number, number>();
        for (const m of messages) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
        for (const [partition, n] of counts) {
          const k = `${topic}/${partition}`;
          const base = next.get(k) ?? 0;
          next.set(k, base + n);
          response.push({ topicName: topic, partition, errorCode: 0, baseOffset: String(base) });
        }
      }
      return response;
    },
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, requests };
}

const partitionCounts = { count: () => 4, forget: () => {} };

function records(n: number, valueBytes = 10): ProducerRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`key-${i % 97}`), value: Buffer.alloc(valueBytes, 1) }));
}

describe('KafkaProducer request size', () => {
  it('regression: a changelog flush of tens of thousands of records is not one quadratic kafkajs request (records per request capped)', async () => {
    const { kafka, requests } = fakeKafka();
    const producer = new KafkaProducer(kafka, {}, partitionCounts, ['fake:9092'], silentLogger);
    const total = 25_500;
    const metadata = await producer.send('changelog', records(total));

    expect(requests.length).toBe(Math.ceil(total / MAX_REQUEST_RECORDS));
    const sizes = requests.map((r) => r.topicMessages.reduce((n, t) => n + t.messages.length, 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_REQUEST_RECORDS);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    // Offsets stay exact across the cuts: per partition, 0, 1, 2 ... in the order given.
    expect(metadata).toHaveLength(total);
    const seen = new Map<number, number>();
    for (const m of metadata) {
      const expected = seen.get(m.partition) ?? 0;
      expect(m.offset).toBe(String(expected));
      seen.set(m.partition, expected + 1);
    }
    await producer.close();
  });

  it('cuts several topics of one sendBatch at the same cap, keeping each record with its topic', async () => {
    const { kafka, requests } = fakeKafka();
    const producer = new KafkaProducer(kafka, {}, partitionCounts, ['fake:9092'], silentLogger);
    const metadata = await producer.sendBatch([
      { topic: 'a', records: records(MAX_REQUEST_RECORDS - 10) },
      { topic: 'b', records: records(30) },
    ]);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.topicMessages.map((t) => [t.topic, t.messages.length])).toEqual([
      ['a', MAX_REQUEST_RECORDS - 10],
      ['b', 10],
    ]);
    expect(requests[1]!.topicMessages.map((t) => [t.topic, t.messages.length])).toEqual([['b', 20]]);
    expect(metadata.filter((m) => m.topic === 'b')).toHaveLength(30);
    await producer.close();
  });

  it('still cuts requests by bytes before the record cap', async () => {
    const { kafka, requests } = fakeKafka();
    const producer = new KafkaProducer(kafka, {}, partitionCounts, ['fake:9092'], silentLogger);
    await producer.send('big', records(100, 100_000));
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) expect(r.topicMessages[0]!.messages.length).toBeLessThan(MAX_REQUEST_RECORDS);
    await producer.close();
  });
});
