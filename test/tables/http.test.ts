import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app/app.js';
import { silentLogger } from '../../src/logging.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import type { TablesWebView } from '../../src/tables/http.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { dropBroker, freshBrokerUrl } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the tables HTTP view on the worker web port', () => {
  it('listens when the environment gives a port, and not without one', async () => {
    const started: (TablesWebView | undefined)[] = [];
    for (const env of [{ MEPHISTO_WEB_PORT: '0', MEPHISTO_WEB_HOST: '127.0.0.1' }, {}]) {
      const brokerUrl = freshBrokerUrl();
      cleanups.push(() => dropBroker(brokerUrl));
      const app = new App('viewer', { broker: brokerUrl, logger: silentLogger, env });
      app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
      cleanups.push(() => app.stop());
      await app.start();
      started.push(app.internals.components.find((c) => c.name === 'tables:web') as TablesWebView | undefined);
    }
    expect(started[0]!.server!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const list = (await (await fetch(`${started[0]!.server!.url}/tables`)).json()) as Array<{ name: string }>;
    expect(list.map((t) => t.name)).toEqual(['counts']);
    expect(started[1]!.server).toBeUndefined();
  });

  it('answers a malformed percent-encoding with 400 and keeps serving (it used to end the process)', async () => {
    const brokerUrl = freshBrokerUrl();
    cleanups.push(() => dropBroker(brokerUrl));
    const app = new App('viewer', { broker: brokerUrl, logger: silentLogger, webPort: 0 });
    app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
    cleanups.push(() => app.stop());
    await app.start();
    const base = (app.internals.components.find((c) => c.name === 'tables:web') as TablesWebView).server!.url;
    for (const path of ['/tables/counts/%E0%A4%A', '/tables/%E0%A4%A', '/tables/counts/%']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain('malformed percent-encoding');
    }
    expect((await fetch(`${base}/tables`)).status).toBe(200);
  });

  it('lists tables and returns a key value as JSON', async () => {
    const brokerUrl = freshBrokerUrl();
    cleanups.push(() => dropBroker(brokerUrl));
    const app = new App('viewer', { broker: brokerUrl, logger: silentLogger, commitInterval: 10, webPort: 0 });
    const clicks = app.topic(defineTopic({ name: 'clicks', key: codecs.string, value: codecs.string, partitions: 2 }));
    const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0, help: 'clicks per URL' });
    const perMinute = app
      .table('per-minute', { key: codecs.string, value: codecs.json<number>(), default: () => 0 })
      .tumbling(60_000, { expires: 3_600_000 });
    let seen = 0;
    app.agent(clicks, async (stream) => {
      for await (const url of stream) {
        counts.set(url, counts.get(url) + 1);
        perMinute.update(url, (n) => n + 1);
        seen++;
      }
    });
    cleanups.push(() => app.stop());
    await app.start();
    const producer = new MemoryTransport(brokerUrl).producer();
    await producer.send('clicks', [
      { key: Buffer.from('/a b'), value: Buffer.from('/a b'), timestamp: 120_500 },
      { key: Buffer.from('/a b'), value: Buffer.from('/a b'), timestamp: 121_000 },
      { key: Buffer.from('/c'), value: Buffer.from('/c'), timestamp: 30_000 },
    ]);
    for (let i = 0; i < 500 && seen < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toBe(3);

    const view = app.internals.components.find((c) => c.name === 'tables:web') as TablesWebView;
    const base = view.server!.url;
    const list = (await (await fetch(`${base}/tables`)).json()) as Array<{ name: string; partitions: number; held: Array<{ partition: number; keys: number }> }>;
    expect(list.map((t) => [t.name, t.partitions])).toEqual([
      ['counts', 2],
      ['per-minute', 2],
    ]);
    expect(list[0]!.held.reduce((sum, p) => sum + p.keys, 0)).toBe(2);

    const value = await fetch(`${base}/tables/counts/${encodeURIComponent('/a b')}`);
    expect(value.status).toBe(200);
    expect(value.headers.get('content-type')).toMatch(/application\/json/);
    expect(await value.json()).toBe(2);
    expect(await (await fetch(`${base}/tables/per-minute/${encodeURIComponent('/a b')}`)).json()).toEqual({
      key: '/a b',
      windows: [{ start: 120_000, end: 180_000, value: 2 }],
    });

    const missing = await fetch(`${base}/tables/counts/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/holds no value for key "nope"/);
    expect((await fetch(`${base}/tables/nope/x`)).status).toBe(404);
  });
});
