// The app's send path (src/app/sender.ts): batching, and the back-pressure that keeps an agent
// from queueing sends faster than the broker acknowledges them.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/index.js';
import { Sender } from '../../src/app/sender.js';
import { memoryLogger, silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { withProducers } from '../transport/decorate.js';
import type { Producer, ProducerRecord, TopicRecords } from '../../src/transport/types.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A producer whose batches are acknowledged only when the test says so. */
function heldProducer(): { producer: Producer; sent: TopicRecords[][]; ackNext: () => void } {
  const sent: TopicRecords[][] = [];
  const acks: (() => void)[] = [];
  const producer = {
    sendBatch: (batches: readonly TopicRecords[]) => {
      sent.push([...batches]);
      return new Promise<never[]>((resolve) => acks.push(() => resolve([])));
    },
  } as unknown as Producer;
  return { producer, sent, ackNext: () => acks.shift()!() };
}

const record = (i: number): ProducerRecord => ({ key: null, value: Buffer.from(String(i)) });

describe('Sender', () => {
  it('asks senders to wait once two batches are unacknowledged, and lets them go when one is', async () => {
    const { producer, sent, ackNext } = heldProducer();
    const sender = new Sender(producer, silentLogger, { maxBatch: 10 });
    for (let i = 0; i < 19; i++) void sender.enqueue('t', record(i));
    expect(sender.whenRoom()).toBeUndefined();
    void sender.enqueue('t', record(19));
    const room = sender.whenRoom();
    expect(room).toBeInstanceOf(Promise);
    let released = false;
    void room!.then(() => (released = true));
    await turn();
    // two full batches flushed: the first is with the broker, the second waits behind it
    expect(sent).toHaveLength(1);
    expect(released).toBe(false);
    ackNext();
    await turn();
    expect(sent).toHaveLength(2);
    expect(released).toBe(true);
    expect(sender.whenRoom()).toBeUndefined();
    ackNext();
    await sender.flush();
  });
});

describe('back-pressure from the broker', () => {
  const apps: App[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });

  it('an agent yielding to a topic stops consuming while the broker does not acknowledge (regression: sends queued without bound)', async () => {
    const transport = new MemoryTransport(`memory://sender-${randomUUID()}`);
    let hold = true;
    const waiting: (() => void)[] = [];
    const held = withProducers(transport, (producer) => ({
      sendBatch: async (...args) => {
        if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
        return producer.sendBatch(...args);
      },
    }));
    const source = defineTopic({ name: 'in', key: codecs.bytes, value: codecs.bytes, partitions: 1 });
    const sink = defineTopic({ name: 'out', key: codecs.bytes, value: codecs.bytes, partitions: 1 });
    const total = 50_000;
    await transport.admin().createTopics([{ topic: 'in', partitions: 1 }]);
    await transport.producer().send('in', Array.from({ length: total }, (_, i) => record(i)));
    hold = true;
    const app = new App('bp', { broker: held, logger: silentLogger, commitInterval: 60_000, env: {} });
    apps.push(app);
    let handled = 0;
    app.agent(
      app.topic(source),
      async function* forward(stream) {
        for await (const bytes of stream) {
          handled++;
          yield bytes;
        }
      },
      { sink: [app.topic(sink)] },
    );
    await app.start();
    let before = -1;
    while (handled !== before) {
      before = handled;
      for (let i = 0; i < 20; i++) await turn();
    }
    // two batches of 10,000 unacknowledged: the agent waits on its next yield
    expect(handled).toBeGreaterThanOrEqual(20_000);
    expect(handled).toBeLessThan(total);
    hold = false;
    for (const release of waiting.splice(0)) release();
    const out = async () => (await transport.admin().fetchTopicOffsets('out')).reduce((n, p) => n + Number(p.high), 0);
    for (let i = 0; i < 2000 && (await out()) < total; i++) await turn();
    expect(await out()).toBe(total);
    expect(handled).toBe(total);
  });
});

describe('a failed send', () => {
  it('stops the worker without committing past the lost records, and every later flush fails (it crashed the process, or a later commit passed them)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const transport = new MemoryTransport(`memory://lost-${randomUUID()}`);
    let failNext = true;
    const failing = withProducers(transport, (producer) => ({
      sendBatch: async (batches, options) => {
        if (failNext && batches.some((b) => b.topic === 'out')) {
          failNext = false;
          throw new Error('MESSAGE_TOO_LARGE (simulated)');
        }
        return producer.sendBatch(batches, options);
      },
    }));
    const source = defineTopic({ name: 'in', key: codecs.bytes, value: codecs.bytes, partitions: 1 });
    const sink = defineTopic({ name: 'out', key: codecs.bytes, value: codecs.bytes, partitions: 1 });
    await transport.admin().createTopics([{ topic: 'in', partitions: 1 }]);
    await transport.producer().send('in', Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) })));
    const logger = memoryLogger();
    const app = new App('lost', { broker: failing, logger, commitInterval: 20, env: {} });
    app.agent(app.topic(source), async function* forward(stream) {
      for await (const bytes of stream) yield bytes;
    }, { sink: [app.topic(sink)] });
    try {
      await app.start();
      for (let i = 0; i < 200 && app.internals.running; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(app.internals.running).toBe(false); // crashed: it stopped by itself
      expect(await transport.admin().fetchCommittedOffsets('lost', 'in')).toEqual([]);
      expect(logger.entries.some((e) => e.level === 'error' && /Worker stops: .*a send to the broker failed.*MESSAGE_TOO_LARGE/.test(e.message))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await app.stop();
    }
  });

  it('keeps failing every flush once a send failed', async () => {
    let calls = 0;
    const failures: unknown[] = [];
    const producer = { sendBatch: async () => (++calls === 1 ? Promise.reject(new Error('broker down')) : []) } as unknown as Producer;
    const sender = new Sender(producer, silentLogger, { onFailure: (error) => void failures.push(error) });
    void sender.enqueue('t', record(1)).catch(() => {});
    await expect(sender.flush()).rejects.toThrow('broker down');
    void sender.enqueue('t', record(2)).catch(() => {});
    await expect(sender.flush()).rejects.toThrow('broker down'); // the second batch went out, the first is still lost
    expect(failures).toHaveLength(1);
  });
});
