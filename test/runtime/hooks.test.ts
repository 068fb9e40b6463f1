import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import type { TopicPartition, TopicPartitionOffset } from '../../src/transport/types.js';
import { numbers, testApp, until } from './helpers.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

describe('component hooks (src/app/hooks.ts)', () => {
  it('awaits onPartitionsAssigned before events flow, calls beforeCommit with the offsets, and keeps the event context across awaits', async () => {
    const t = testApp();
    apps.push(t.app);
    const { app } = t;
    const topic = app.topic(numbers);
    const calls: string[] = [];
    let release!: () => void;
    const recovered = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seenOffsets: TopicPartitionOffset[][] = [];
    app.internals.registerComponent({
      name: 'probe',
      async onPartitionsAssigned(partitions: readonly TopicPartition[]) {
        calls.push(`assigned ${partitions.map((p) => `${p.topic}[${p.partition}]`).join(',')}`);
        await recovered;
        calls.push('recovered');
      },
      async beforeCommit(offsets) {
        seenOffsets.push([...offsets]);
      },
    });
    const contexts: string[] = [];
    app.agent(
      topic,
      async function contextual(stream) {
        for await (const n of stream) {
          calls.push(`event ${n}`);
          for (let i = 0; i < (n % 3) + 1; i++) await new Promise((resolve) => setImmediate(resolve));
          const event = app.internals.currentEvent();
          contexts.push(`${n}@${event?.offset}`);
        }
      },
      { concurrency: 2 },
    );
    // events sent while recovery runs must wait for it
    const starting = app.start();
    await until(() => calls.length === 1, 'assignment');
    for (let i = 0; i < 6; i++) void topic.send({ key: `k${i}`, value: i });
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['assigned numbers[0]']);
    release();
    await starting;
    await until(() => contexts.length === 6, 'six events');
    expect(calls.slice(0, 2)).toEqual(['assigned numbers[0]', 'recovered']);
    // offsets and values coincide in this topic: each context names its own event
    for (const c of contexts) {
      const [n, offset] = c.split('@');
      expect(offset).toBe(n);
    }
    await app.commit();
    expect(seenOffsets.at(-1)).toEqual([{ topic: 'numbers', partition: 0, offset: '6' }]);
  });
});
