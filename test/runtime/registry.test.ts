import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { pages, records, testApp, until } from './helpers.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

describe('App with a schema registry', () => {
  it('writes the Confluent wire format, reads it back, and dead-letters unknown schema ids', async () => {
    const t = testApp({ registry: `memory://reg-${randomUUID()}` });
    apps.push(t.app);
    const topic = t.app.topic(pages);
    const users: string[] = [];
    t.app.agent(topic, async function readFramed(stream) {
      for await (const page of stream) users.push(page.user);
    });
    await t.app.start();
    await topic.send({ key: 'ada', value: { user: 'ada', path: '/', ms: 3 } });
    await until(() => users.length === 1, 'the framed page');
    const [framed] = records(t.broker, 'pages');
    expect(framed!.value![0]).toBe(0); // magic byte, then a 4-byte schema id
    // magic byte 0 with a schema id the registry never issued
    await new MemoryTransport(t.url).producer().send('pages', [{ key: null, value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 2, 0x61]) }]);
    await topic.send({ key: 'bob', value: { user: 'bob', path: '/b', ms: 4 } });
    await until(() => users.length === 2, 'the next good page');
    await t.app.internals.flush();
    const dlq = records(t.broker, 'test-readFramed-dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.headers['mephisto-error-type']!.toString()).toBe('ValueDecodeError');
    expect(users).toEqual(['ada', 'bob']);
  });
});
