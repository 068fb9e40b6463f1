import { afterEach, describe, expect, it } from 'vitest';
import { codecs } from '../../src/serde/index.js';
import { defineTable } from '../../src/tables/index.js';
import type { TopicPartition } from '../../src/transport/types.js';
import { dropBroker, freshBrokerUrl, removeDir, tempDir, Worker } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const assignment: TopicPartition[] = [{ topic: 'clicks', partition: 0 }];

async function worker(url: string) {
  const data = tempDir();
  cleanups.push(() => removeDir(data));
  const w = new Worker(url, data, 'memory://');
  await w.transport.admin().createTopics([{ topic: 'clicks', partitions: 1 }]);
  const notes = defineTable(w, 'notes', { key: codecs.string, value: codecs.string, source: 'clicks' });
  cleanups.push(async () => {
    if (w.running) await w.crash();
  });
  return { w, notes };
}

describe('a table written from channel events (offset -1, never replayed)', () => {
  it('regression: takes their writes after a restart (a recorded position for the channel made every later write a "replay" to skip)', async () => {
    const url = freshBrokerUrl();
    cleanups.push(() => dropBroker(url));
    const first = await worker(url);
    await first.w.start(assignment);
    first.w.process({ topic: 'notes-channel', partition: 0, offset: -1 }, () => first.notes.set('a', 'one'));
    await first.w.stop();

    const second = await worker(url);
    await second.w.start(assignment);
    expect(second.notes.get('a')).toBe('one');
    second.w.process({ topic: 'notes-channel', partition: 0, offset: -1 }, () => second.notes.set('a', 'two'));
    expect(second.notes.get('a')).toBe('two');
    expect(second.notes.state.skippedReplays).toBe(0);
  });
});
