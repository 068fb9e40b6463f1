// Offsets the group refused to commit (a rebalance): the runtime must not count them as committed.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/app/index.js';
import { silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { withConsumers } from '../transport/decorate.js';

describe('a commit the group refused', () => {
  it('is not counted as done: the next commit sends the same offsets again (a quiet partition was never committed)', async () => {
    const inner = new MemoryTransport(`memory://refused-${randomUUID()}`);
    const attempts: string[][] = [];
    let refuse = true;
    const transport = withConsumers(inner, (consumer) => ({
      commit: async (offsets) => {
        attempts.push(offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`));
        if (refuse) {
          refuse = false;
          return false; // as the Kafka driver answers a rebalance error
        }
        return consumer.commit(offsets);
      },
    }));
    const topic = defineTopic({ name: 'quiet', key: codecs.string, value: codecs.string, partitions: 1 });
    const app = new App('refused', { broker: transport, logger: silentLogger, commitInterval: 60_000, env: {} });
    let seen = 0;
    app.agent(app.topic(topic), async (stream) => {
      for await (const _ of stream) seen++;
    });
    try {
      await app.start();
      await inner.producer().send('quiet', [{ key: null, value: Buffer.from('x') }]);
      for (let i = 0; i < 300 && seen === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 20)); // the handler asks for the next event: acknowledged
      await app.commit();
      await app.commit();
      expect(attempts).toEqual([['quiet[0]@1'], ['quiet[0]@1']]);
      expect(await inner.admin().fetchCommittedOffsets('refused', 'quiet')).toEqual([{ topic: 'quiet', partition: 0, offset: '1' }]);
    } finally {
      await app.stop();
    }
  });
});
