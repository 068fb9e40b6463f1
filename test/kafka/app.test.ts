/**
 * Apps on a real broker with the real Schema Registry: a click pipeline end to end (Confluent wire
 * format on the topics, a stateless agent to a sink topic, a table counted from a stream), and
 * corrupt bytes from a raw producer going to the dead-letter topic while the worker goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { memoryLogger } from '../../src/logging.js';
import { openRegistry } from '../../src/registry/index.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { openTransport } from '../../src/transport/index.js';
import type { ConsumerRecord, Transport } from '../../src/transport/types.js';
import { Click } from '../../generated/com/acme/clicks/Click.js';
import { kafkaUrl, rawKafka, registryUrl, uniqueName, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function transport(): Promise<Transport> {
  const t = await openTransport(kafkaUrl, { clientId: 'app-test-reader' });
  cleanups.push(() => t.close());
  return t;
}

/** Every record of a topic, partition by partition (outside any group). */
async function readAll(t: Transport, topic: string): Promise<ConsumerRecord[]> {
  const [description] = await t.admin().describeTopics([topic]);
  const out: ConsumerRecord[] = [];
  for (let p = 0; p < description!.partitions; p++) {
    for await (const records of t.readPartition(topic, p)) out.push(...records);
  }
  return out;
}

const devices = ['DESKTOP', 'MOBILE', 'TABLET', 'BOT'] as const;
function click(i: number): Click {
  return new Click({
    url: `/page/${(i * 37) % 11}`,
    userId: `user-${i % 7}`,
    sessionId: '6f1c1a2e-9a55-4a39-8d3b-2f1f7c0f3c1e',
    timestamp: new Date(1_700_000_000_000 + i),
    referrer: i % 3 === 0 ? null : 'https://example.com/',
    device: devices[i % 4]!,
    durationMs: i,
  });
}

describe('an app on kafka:// with the real registry', () => {
  it('runs a click pipeline end to end: Confluent-framed Avro in, a filtering agent to a sink, counts in a table', async () => {
    const id = uniqueName('pipeline');
    const clicks = defineTopic({ name: uniqueName('clicks'), key: codecs.string, value: codecs.model(Click), partitions: 3 });
    const pages = defineTopic({ name: uniqueName('human-pages'), key: codecs.string, value: codecs.string, partitions: 3 });
    const logger = memoryLogger();
    // The repartition topic of groupBy gets the partition count of clicks (3), not topicPartitions
    // (8): the table lives on both, and its changelog matches them.
    const app = new App(id, { broker: kafkaUrl, registry: registryUrl, logger, commitInterval: 100 });
    cleanups.push(() => app.stop());
    const clickTopic = app.topic(clicks);
    const pageTopic = app.topic(pages);
    const counts = app.table('clicks-per-url', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    app.agent(
      clickTopic,
      async function* humans(stream) {
        for await (const c of stream.filter((c) => c.device !== 'BOT')) yield c.url;
      },
      { sink: [pageTopic] },
    );
    let counted = 0;
    app.agent(clickTopic, async function countByUrl(stream) {
      for await (const c of stream.groupBy((c) => c.url, { name: 'by-url' })) {
        counts.set(c.url, counts.get(c.url) + 1);
        counted++;
      }
    });
    await app.start();

    const N = 200;
    for (let i = 0; i < N; i++) await clickTopic.send({ key: `user-${i % 7}`, value: click(i) });
    await waitFor('every click counted', () => (counted === N ? true : undefined));

    const t = await transport();
    // The input is in the Confluent wire format, with the id the registry gave `<topic>-value`.
    const registry = openRegistry(registryUrl);
    cleanups.push(() => registry.close());
    const registered = await registry.getLatest(`${clicks.name}-value`);
    const input = await readAll(t, clicks.name);
    expect(input).toHaveLength(N);
    for (const record of input) {
      expect(record.value![0]).toBe(0);
      expect(record.value!.readInt32BE(1)).toBe(registered.id);
    }
    const humans = await waitFor('the human pages', async () => {
      const out = await readAll(t, pages.name);
      return out.length >= (N * 3) / 4 ? out : undefined;
    });
    const expected = Array.from({ length: N }, (_, i) => click(i)).filter((c) => c.device !== 'BOT').map((c) => c.url);
    expect(humans.map((r) => r.value!.toString('utf8')).sort()).toEqual(expected.sort());

    const oracle = new Map<string, number>();
    for (let i = 0; i < N; i++) oracle.set(click(i).url, (oracle.get(click(i).url) ?? 0) + 1);
    for (const [url, count] of oracle) expect(counts.get(url)).toBe(count);

    // Graceful stop commits what was processed: nothing is left for the group to read again.
    await app.stop();
    const committed = await t.admin().fetchCommittedOffsets(id, clicks.name);
    const high = await t.admin().fetchTopicOffsets(clicks.name);
    const nonEmpty = high.filter((h) => h.high !== '0');
    expect(committed.map((c) => [c.partition, c.offset])).toEqual(nonEmpty.map((h) => [h.partition, h.high]));
  });

  it('dead-letters corrupt bytes from a raw producer with the reason and goes on', async () => {
    const id = uniqueName('dlq');
    const clicks = defineTopic({ name: uniqueName('raw-clicks'), key: codecs.string, value: codecs.model(Click), partitions: 1 });
    const logger = memoryLogger();
    const app = new App(id, { broker: kafkaUrl, registry: registryUrl, logger, commitInterval: 100 });
    cleanups.push(() => app.stop());
    const seen: string[] = [];
    const agent = app.agent(app.topic(clicks), async function collect(stream) {
      for await (const c of stream) seen.push(c.userId);
    });
    await app.start();

    const registry = openRegistry(registryUrl);
    cleanups.push(() => registry.close());
    const { id: schemaId } = await registry.register(`${clicks.name}-value`, Click.schema);
    const framed = (body: Buffer, idInFrame = schemaId, magic = 0) => {
      const header = Buffer.alloc(5);
      header.writeUInt8(magic, 0);
      header.writeInt32BE(idInFrame, 1);
      return Buffer.concat([header, body]);
    };
    const good = (user: string) => framed(new Click({ ...click(1), userId: user }).encode());
    const producer = rawKafka().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({
      topic: clicks.name,
      messages: [
        { key: 'a', value: good('first') },
        { key: 'b', value: framed(good('x').subarray(5), schemaId, 7) }, // wrong magic byte
        { key: 'c', value: framed(good('x').subarray(5), 987_654) }, // unknown schema id
        { key: 'd', value: good('truncated').subarray(0, 12) }, // body cut short
        { key: 'e', value: Buffer.from('not avro at all') },
        { key: 'f', value: good('last') },
      ],
    });
    await waitFor('the events after the corrupt ones', () => (seen.includes('last') ? true : undefined));
    expect(seen).toEqual(['first', 'last']);

    const t = await transport();
    const dead = await waitFor('four dead letters', async () => {
      const topics = await t.admin().listTopics();
      if (!topics.includes(agent.deadLetterTopic)) return undefined;
      const out = await readAll(t, agent.deadLetterTopic);
      return out.length >= 4 ? out : undefined;
    });
    expect(dead.map((r) => r.key!.toString())).toEqual(['b', 'c', 'd', 'e']);
    for (const record of dead) {
      expect(record.headers['mephisto-source-topic']!.toString()).toBe(clicks.name);
      expect(record.headers['mephisto-error']!.toString().length).toBeGreaterThan(0);
    }
    expect(dead.map((r) => r.headers['mephisto-source-offset']!.toString())).toEqual(['1', '2', '3', '4']);
    // The bytes are kept as they came, for replay after a fix.
    expect(dead[3]!.value!.toString()).toBe('not avro at all');
    expect(dead[1]!.headers['mephisto-error']!.toString()).toContain('987654');
  });
});
