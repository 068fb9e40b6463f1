import { describe, expect, it } from 'vitest';
import { App } from '../../src/app/index.js';
import { TestDriver } from '../../src/testing/index.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { numbers, pages } from './helpers.js';

const totals = defineTopic({ name: 'totals', key: codecs.string, value: codecs.json<number>(), partitions: 1 });

describe('TestDriver', () => {
  it('sends typed events, reads typed records back, and sees what agents yield', async () => {
    const app = new App('driver-basic');
    const input = app.topic(numbers);
    const output = app.topic(totals);
    const doubler = app.agent(
      input,
      async function* double(stream) {
        for await (const n of stream) yield n * 2;
      },
      { sink: [output] },
    );
    const driver = await TestDriver.start(app);
    await driver.send(input, { key: 'a', value: 1 });
    await driver.send(doubler, { key: 'b', value: 20 });
    expect(driver.yielded(doubler)).toEqual([2, 40]);
    expect(await driver.values(output)).toEqual([2, 40]);
    expect(await driver.ask(doubler, 50)).toBe(100);
    await driver.commit();
    expect(driver.committed(input)).toBe(3);
    await driver.stop();
  });

  it('works for agents that never yield', async () => {
    const app = new App('driver-silent');
    const pageTopic = app.topic(pages);
    const seen = new Map<string, number>();
    app.agent(pageTopic, async function countUsers(stream) {
      for await (const page of stream) seen.set(page.user, (seen.get(page.user) ?? 0) + 1);
    });
    const driver = await TestDriver.start(app);
    await driver.send(pageTopic, { key: 'ada', value: { user: 'ada', path: '/', ms: 1 } });
    await driver.send(pageTopic, { key: 'ada', value: { user: 'ada', path: '/a', ms: 2 } });
    expect(seen.get('ada')).toBe(2);
    await driver.stop();
  });

  it('advances simulated time for timers and take(within)', async () => {
    const app = new App('driver-time');
    const input = app.topic(numbers);
    const batches: number[][] = [];
    let ticks = 0;
    app.agent(input, async function batcher(stream) {
      for await (const batch of stream.take(10, { within: 5000 })) batches.push(batch);
    });
    app.timer(1000, () => {
      ticks++;
    });
    const driver = await TestDriver.start(app, { startTime: 1_000_000 });
    await driver.send(input, { key: 'k', value: 1 });
    await driver.send(input, { key: 'k', value: 2 });
    expect(batches).toEqual([]);
    await driver.advance(5000);
    expect(batches).toEqual([[1, 2]]);
    expect(ticks).toBe(5);
    expect(driver.clock.now()).toBe(1_005_000);
    await driver.stop();
  });

  it('lists dead letters with their error headers', async () => {
    const app = new App('driver-dlq');
    const input = app.topic(numbers);
    const picky = app.agent(input, async function picky(stream) {
      for await (const n of stream) if (n < 0) throw new RangeError(`negative: ${n}`);
    });
    const driver = await TestDriver.start(app);
    await driver.send(input, { key: 'k', value: 5 });
    await driver.send(input, { key: 'k', value: -1 });
    expect(driver.deadLetters(picky)).toMatchObject([{ error: 'negative: -1', errorType: 'AgentError', sourceTopic: 'numbers', sourcePartition: 0, sourceOffset: '1' }]);
    expect(driver.logger.entries.some((e) => e.level === 'warn')).toBe(true);
    await driver.stop();
  });
});
