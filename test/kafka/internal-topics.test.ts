/**
 * Internal topics that exist already, on a real broker: a table's changelog with
 * `cleanup.policy=delete` or another partition count than its source fails `start()` with a
 * ConfigError naming topic, setting, found and expected (it used to be taken as it was whenever it
 * existed); fewer replicas than requested is logged with both figures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { isConfigError, isTablePartitionsError, isTopicMismatchError } from '../../src/errors.js';
import { memoryLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { openTransport } from '../../src/transport/index.js';
import { kafkaUrl, uniqueName } from './helpers.js';

const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop().catch(() => undefined);
});

async function withTransport<T>(run: (t: Awaited<ReturnType<typeof openTransport>>) => Promise<T>, logger = memoryLogger()): Promise<T> {
  const t = await openTransport(kafkaUrl, { clientId: 'internal-topics-test', logger });
  await t.connect();
  try {
    return await run(t);
  } finally {
    await t.close();
  }
}

/** An app counting a 2-partition source into a table whose changelog was created beforehand. */
async function startError(changelog: { partitions: number; config?: Record<string, string> }): Promise<{ error: Error; changelogTopic: string }> {
  const appId = uniqueName('internal');
  const source = uniqueName('internal-src');
  const changelogTopic = `${appId}-counts-changelog`;
  await withTransport((t) => t.admin().createTopics([{ topic: changelogTopic, ...changelog }]));
  const app = new App(appId, { broker: kafkaUrl, logger: memoryLogger(), env: {} });
  apps.push(app);
  const topic = app.topic(defineTopic({ name: source, key: codecs.string, value: codecs.string, partitions: 2 }));
  const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source });
  app.agent(topic, async (stream) => {
    for await (const key of stream) counts.set(key, counts.get(key) + 1);
  });
  const error = await app.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return { error: error as Error, changelogTopic };
}

describe('an existing changelog topic on kafka://', () => {
  it('with cleanup.policy=delete fails start() with a ConfigError', async () => {
    const { error, changelogTopic } = await startError({ partitions: 2, config: { 'cleanup.policy': 'delete' } });
    expect(isConfigError(error)).toBe(true);
    expect(isTopicMismatchError(error)).toBe(true);
    expect(error.message).toContain(`Topic ${changelogTopic} exists with cleanup.policy=delete, but the app declares cleanup.policy=compact`);
  });

  it('with another partition count than the source fails start() with a ConfigError', async () => {
    const { error, changelogTopic } = await startError({ partitions: 3, config: { 'cleanup.policy': 'compact' } });
    expect(isConfigError(error)).toBe(true);
    expect(isTablePartitionsError(error)).toBe(true);
    expect(error.message).toContain(`changelog topic ${changelogTopic} has 3 partitions but its source topic`);
    expect(error.message).toMatch(/has 2;/);
  });
});

describe('an existing topic with fewer replicas than requested on kafka://', () => {
  it('is logged as a warning with both figures', async () => {
    const logger = memoryLogger();
    const topic = uniqueName('internal-replicas');
    await withTransport(async (t) => {
      await t.admin().createTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
      await t.admin().createTopics([{ topic, partitions: 1, replicationFactor: 3 }]);
    }, logger);
    const warning = logger.entries.find((e) => e.level === 'warn' && e.message.includes('replication factor'));
    expect(warning?.message).toContain(`Topic ${topic} exists with replication factor 1, lower than the 3 requested`);
    expect(warning?.fields).toMatchObject({ topic, replicationFactor: 1, requested: 3 });
  });
});
