/**
 * Regression: internal topics (changelogs, repartition topics) that existed already were taken as
 * they were: a changelog with `cleanup.policy=delete` (retention deletes table state) or another
 * partition count started fine on memory://, and a table whose changelog existed skipped the
 * driver's checks on every transport. Now `start()` fails with a ConfigError naming the topic, the
 * setting, what it found and what it expected; fewer replicas than requested is a warning.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { isConfigError, isTablePartitionsError, isTopicMismatchError } from '../../src/errors.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { pages, testApp } from '../runtime/helpers.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop().catch(() => undefined)));
});

const clicks = defineTopic({ name: 'clicks', key: codecs.string, value: codecs.string, partitions: 2 });

function counter(options: { global?: boolean } = {}) {
  const harness = testApp();
  apps.push(harness.app);
  const { app } = harness;
  const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, source: clicks.name, ...options });
  app.agent(app.topic(clicks), async (stream) => {
    for await (const url of stream) if (options.global !== true) counts.set(url, counts.get(url) + 1);
  });
  return harness;
}

async function startError(app: App): Promise<Error> {
  const error = await app.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('an existing changelog topic', () => {
  it('with cleanup.policy=delete fails start() with a ConfigError naming topic, setting, found and expected', async () => {
    const { app, broker } = counter();
    broker.createTopic({ topic: 'test-counts-changelog', partitions: 2, config: { 'cleanup.policy': 'delete' } });
    const error = await startError(app);
    expect(isConfigError(error)).toBe(true);
    expect(isTopicMismatchError(error)).toBe(true);
    expect(error.message).toContain('Topic test-counts-changelog exists with cleanup.policy=delete, but the app declares cleanup.policy=compact');
  });

  it('without a cleanup policy (the broker default, delete) fails the same way', async () => {
    const { app, broker } = counter();
    broker.createTopic({ topic: 'test-counts-changelog', partitions: 2 });
    const error = await startError(app);
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toContain('cleanup.policy=delete, but the app declares cleanup.policy=compact');
  });

  it('of a global table, with cleanup.policy=delete, fails too', async () => {
    const { app, broker } = counter({ global: true });
    broker.createTopic({ topic: 'test-counts-changelog', partitions: 2, config: { 'cleanup.policy': 'delete' } });
    const error = await startError(app);
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toContain('Topic test-counts-changelog exists with cleanup.policy=delete');
  });

  it('with another partition count than the source fails start() with a ConfigError naming both counts', async () => {
    const { app, broker } = counter();
    broker.createTopic({ topic: 'test-counts-changelog', partitions: 3, config: { 'cleanup.policy': 'compact' } });
    const error = await startError(app);
    expect(isConfigError(error)).toBe(true);
    expect(isTablePartitionsError(error)).toBe(true);
    expect((error as { setting?: string }).setting).toBe('partitions');
    expect(error.message).toContain('changelog topic test-counts-changelog has 3 partitions but its source topic clicks has 2');
  });

  it('that matches starts, without a warning', async () => {
    const { app, broker, logger } = counter();
    broker.createTopic({ topic: 'test-counts-changelog', partitions: 2, config: { 'cleanup.policy': 'compact' } });
    await app.start();
    expect(logger.entries.filter((e) => e.level === 'warn' || e.level === 'error')).toEqual([]);
  });
});

describe('an existing repartition topic', () => {
  it('with another partition count than its source fails start() with a ConfigError', async () => {
    const { app, broker } = testApp();
    apps.push(app);
    app.agent(app.topic(pages), async function perPath(stream) {
      for await (const page of stream.groupBy((p) => p.path, { name: 'by-path' })) void page;
    });
    broker.createTopic({ topic: 'test-perPath-by-path-repartition', partitions: 3 });
    const error = await startError(app);
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toContain('Topic test-perPath-by-path-repartition exists with partitions=3, but the app declares partitions=4');
  });
});

describe('an existing topic with fewer replicas than requested', () => {
  it('is logged as a warning with both figures, and the app starts', async () => {
    const { app, broker, logger } = testApp();
    apps.push(app);
    app.topic(defineTopic({ name: 'orders', key: codecs.string, value: codecs.string, partitions: 1, replicationFactor: 3 }));
    broker.createTopic({ topic: 'orders', partitions: 1, replicationFactor: 1 });
    await app.start();
    const warning = logger.entries.find((e) => e.level === 'warn' && e.message.includes('replication factor'));
    expect(warning?.message).toContain('Topic orders exists with replication factor 1, lower than the 3 requested');
    expect(warning?.fields).toMatchObject({ topic: 'orders', replicationFactor: 1, requested: 3 });
  });
});
