import { randomUUID } from 'node:crypto';
import { App } from '../../src/app/index.js';
import type { AppSettings } from '../../src/app/settings.js';
import { memoryLogger, type MemoryLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { MemoryBroker } from '../../src/transport/memory/index.js';
import type { ConsumerRecord } from '../../src/transport/types.js';

export interface Page {
  readonly user: string;
  readonly path: string;
  readonly ms: number;
}

export const pageSchema = {
  type: 'record',
  name: 'Page',
  namespace: 'test',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'path', type: 'string' },
    { name: 'ms', type: 'int' },
  ],
} as const;

export const pages = defineTopic({ name: 'pages', key: codecs.string, value: codecs.avroSchema<Page>(pageSchema), partitions: 4 });
export const paths = defineTopic({ name: 'paths', key: codecs.string, value: codecs.string, partitions: 2 });
export const numbers = defineTopic({ name: 'numbers', key: codecs.string, value: codecs.json<number>(), partitions: 1 });

/** A fresh, private embedded broker and an app on it, with a logger that keeps messages. */
export function testApp(settings: AppSettings = {}, id = 'test'): { app: App; broker: MemoryBroker; url: string; logger: MemoryLogger } {
  const url = `memory://t-${randomUUID()}`;
  const broker = MemoryBroker.forUrl(url);
  const logger = memoryLogger();
  const app = new App(id, { broker: url, logger, commitInterval: 60_000, env: {}, ...settings });
  return { app, broker, url, logger };
}

/** Every record of a topic, all partitions, in partition then offset order. */
export function records(broker: MemoryBroker, topic: string): ConsumerRecord[] {
  return broker.topics.get(topic)?.logs.flatMap((log) => log.records) ?? [];
}

/** Waits (on the event loop, not on time) until `check` holds; fails after many turns. */
export async function until(check: () => boolean, what = 'condition', turns = 200_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function committed(broker: MemoryBroker, group: string, topic: string, partition = 0): number | undefined {
  return broker.groups.get(group)?.committedOffset(topic, partition);
}
