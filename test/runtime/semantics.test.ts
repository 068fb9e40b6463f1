import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock, type App } from '../../src/app/index.js';
import { isAgentError, isAskTimeoutError } from '../../src/errors.js';
import { codecs, defineTopic } from '../../src/serde/index.js';
import { partitionForKey } from '../../src/transport/partitioner.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { committed, numbers, pages, records, testApp, until } from './helpers.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});
function track<T extends { app: App }>(t: T): T {
  apps.push(t.app);
  return t;
}

/** A promise to hold a handler on an event until the test releases it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Two keys that go to different instances of an agent with `n` instances. */
function keysOnDifferentInstances(n: number): [string, string] {
  const first = 'key-0';
  for (let i = 1; ; i++) {
    const other = `key-${i}`;
    if (partitionForKey(Buffer.from(other), n) !== partitionForKey(Buffer.from(first), n)) return [first, other];
  }
}

describe('at-least-once commits', () => {
  it('never commits past a slow event, even when a later one finished first', async () => {
    const { app, broker } = track(testApp());
    const topic = app.topic(numbers);
    const slow = gate();
    const done: number[] = [];
    app.agent(
      topic,
      async function work(stream) {
        for await (const n of stream) {
          if (n === 0) await slow.wait;
          done.push(n);
        }
      },
      { concurrency: 2 },
    );
    await app.start();
    const [a, b] = keysOnDifferentInstances(2);
    await topic.send({ key: a, value: 0 }); // offset 0: slow
    await topic.send({ key: b, value: 1 }); // offset 1: fast, other instance
    await topic.send({ key: b, value: 2 }); // offset 2
    await until(() => done.length === 2, 'the fast events');
    expect(done).toEqual([1, 2]);
    await app.commit();
    expect(committed(broker, 'test', 'numbers')).toBeUndefined();
    slow.open();
    await until(() => done.length === 3, 'the slow event');
    // 0 is acknowledged when its instance asks for the next event
    await until(() => app.runtime.agents[0]!.instances.every((i) => i.primary.pending.length === 0), 'acks');
    await app.commit();
    expect(committed(broker, 'test', 'numbers')).toBe(3);
  });

  it('graceful stop finishes the event in flight and commits it, but not the queued ones', async () => {
    const { app, broker } = testApp();
    const topic = app.topic(numbers);
    const slow = gate();
    let started = 0;
    let finished = 0;
    app.agent(topic, async function slowOne(stream) {
      for await (const n of stream) {
        started++;
        if (n === 1) await slow.wait;
        finished++;
      }
    });
    await app.start();
    for (let i = 0; i < 5; i++) await topic.send({ key: 'k', value: i });
    await until(() => started === 2, 'the slow event to start');
    const stopping = app.stop();
    slow.open();
    await stopping;
    expect(finished).toBe(2);
    expect(committed(broker, 'test', 'numbers')).toBe(2);
    expect(app.state).toBe('stopped');
  });
});

describe('back-pressure', () => {
  it('a slow agent bounds its queue and leaves the rest in the broker', async () => {
    const { app, broker } = track(testApp({ bufferSize: 8, maxBatchSize: 4 }));
    const topic = app.topic(numbers);
    const hold = gate();
    let processed = 0;
    const agent = app.agent(topic, async function slow(stream) {
      for await (const _ of stream) {
        await hold.wait;
        processed++;
      }
    });
    await app.start();
    for (let i = 0; i < 1000; i++) void topic.send({ key: 'k', value: i });
    await app.internals.flush();
    const input = agent.instances[0]!.primary;
    await until(() => input.highWater === 8, 'the queue to fill');
    for (let i = 0; i < 100; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(input.highWater).toBeLessThanOrEqual(8);
    expect(processed).toBe(0);
    expect(records(broker, 'numbers')).toHaveLength(1000);
    hold.open();
    await until(() => processed === 1000, 'everything processed');
    expect(input.highWater).toBeLessThanOrEqual(8);
  });
});

describe('error policy', () => {
  const failOn3 = async function* failing(stream: AsyncIterable<number>) {
    for await (const n of stream) {
      if (n === 3) throw new Error('three is bad');
      yield n;
    }
  };

  it('dead-letters by default, with headers naming error and source, and goes on', async () => {
    const { app, broker, logger } = track(testApp());
    const topic = app.topic(numbers);
    const out: number[] = [];
    app.agent(topic, failOn3, { sink: [(n: number) => void out.push(n)] });
    await app.start();
    for (let i = 0; i < 6; i++) await topic.send({ key: `k${i}`, value: i });
    await until(() => out.length === 5, 'the good events');
    expect(out).toEqual([0, 1, 2, 4, 5]);
    await app.internals.flush();
    const dlq = records(broker, 'test-failing-dlq');
    expect(dlq).toHaveLength(1);
    const h = dlq[0]!.headers;
    expect(h['mephisto-error']!.toString()).toBe('three is bad');
    expect(h['mephisto-error-type']!.toString()).toBe('AgentError');
    expect(h['mephisto-source-topic']!.toString()).toBe('numbers');
    expect(h['mephisto-source-partition']!.toString()).toBe('0');
    expect(h['mephisto-source-offset']!.toString()).toBe('3');
    expect(dlq[0]!.value!.toString()).toBe('3');
    expect(dlq[0]!.key!.toString()).toBe('k3');
    expect(logger.entries.some((e) => e.level === 'warn' && e.message.includes('dead-letter'))).toBe(true);
    await app.commit();
    expect(committed(broker, 'test', 'numbers')).toBe(6);
  });

  it('skip logs and goes on without a dead letter', async () => {
    const { app, broker, logger } = track(testApp());
    const topic = app.topic(numbers);
    const out: number[] = [];
    app.agent(topic, failOn3, { onError: 'skip', sink: [(n: number) => void out.push(n)] });
    await app.start();
    for (let i = 0; i < 6; i++) await topic.send({ key: 'k', value: i });
    await until(() => out.length === 5, 'the good events');
    expect(records(broker, 'test-failing-dlq')).toHaveLength(0);
    expect(logger.entries.filter((e) => e.level === 'warn' && e.message.includes('skipped'))).toHaveLength(1);
  });

  it('crash stops the worker with an AgentError and does not commit the failed event', async () => {
    const { app, broker } = testApp();
    const topic = app.topic(numbers);
    app.agent(topic, failOn3, { onError: 'crash' });
    await app.start();
    for (let i = 0; i < 6; i++) await topic.send({ key: 'k', value: i });
    const error = await app.stopped().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAgentError(error)).toBe(true);
    expect((error as Error).message).toContain('numbers[0]@3');
    expect(committed(broker, 'test', 'numbers')).toBe(3);
  });

  /** A started app whose agent `readPages` collects the users of the pages it reads. */
  async function pageReader() {
    const { app, broker, url } = track(testApp());
    const topic = app.topic(pages);
    const users: string[] = [];
    app.agent(topic, async function readPages(stream) {
      for await (const page of stream) users.push(page.user);
    });
    await app.start();
    return { app, broker, url, topic, users };
  }

  it('undecodable bytes go to the dead-letter topic as ValueDecodeError and the worker goes on', async () => {
    const { app, broker, url, topic, users } = await pageReader();
    const raw = new MemoryTransport(url).producer();
    await raw.send('pages', [{ key: Buffer.from('bad'), value: Buffer.from([0xff, 0xff, 0xff]) }]);
    await topic.send({ key: 'good', value: { user: 'ada', path: '/', ms: 1 } });
    await until(() => users.length === 1, 'the good page');
    await app.internals.flush();
    const dlq = records(broker, 'test-readPages-dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.headers['mephisto-error-type']!.toString()).toBe('ValueDecodeError');
    expect(dlq[0]!.value).toEqual(Buffer.from([0xff, 0xff, 0xff]));
    expect(app.runtime.agents[0]!.failures).toBe(1);
  });

  it('a truncated record right before a sound one in the log is dead-lettered, and the sound one read', async () => {
    // the embedded broker decodes values where they lie in its log: avsc could read a truncated
    // record on into the next one's bytes; that must still fail as the truncated record
    const { app, broker, url, users } = await pageReader();
    const good = pages.value.encode({ user: 'ada', path: '/a', ms: 1 });
    const truncated = pages.value.encode({ user: 'bob', path: '/b', ms: 2 }).subarray(0, 5);
    const raw = new MemoryTransport(url).producer();
    await raw.send('pages', [
      { key: Buffer.from('same'), value: truncated },
      { key: Buffer.from('same'), value: good },
    ]);
    await until(() => users.length === 1, 'the sound page');
    expect(users).toEqual(['ada']);
    await app.internals.flush();
    const dlq = records(broker, 'test-readPages-dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.headers['mephisto-error-type']!.toString()).toBe('ValueDecodeError');
    expect(dlq[0]!.headers['mephisto-error']!.toString()).toContain('truncated');
    expect(dlq[0]!.value).toEqual(truncated);
  });
});

describe('concurrency', () => {
  it('keeps per-key order with concurrency > 1 and uses several instances', async () => {
    const { app } = track(testApp());
    const topic = app.topic(numbers);
    const perKey = new Map<string, number[]>();
    const instancesUsed = new Set<number>();
    app.agent(
      topic,
      async function work(stream) {
        for await (const event of stream.events()) {
          // a different amount of asynchronous work per event, so instances interleave
          for (let i = 0; i < event.value % 7; i++) await new Promise((resolve) => setImmediate(resolve));
          const key = event.key;
          perKey.set(key, [...(perKey.get(key) ?? []), event.value]);
          instancesUsed.add(partitionForKey(Buffer.from(key), 4));
        }
      },
      { concurrency: 4 },
    );
    await app.start();
    for (let i = 0; i < 200; i++) void topic.send({ key: `user-${i % 10}`, value: i });
    await until(() => [...perKey.values()].flat().length === 200, 'all events');
    for (const [key, values] of perKey) {
      const k = Number(key.slice(5));
      expect(values).toEqual(Array.from({ length: 20 }, (_, j) => j * 10 + k));
    }
    expect(instancesUsed.size).toBeGreaterThan(1);
  });
});

describe('request/reply', () => {
  it('ask returns what the handler yields, over a reply topic', async () => {
    const { app } = track(testApp());
    const topic = app.topic(numbers);
    const doubler = app.agent(topic, async function* double(stream) {
      for await (const n of stream) yield n * 2;
    });
    await app.start();
    const [a, b] = await Promise.all([doubler.ask(21), doubler.ask(5, { key: 'x' })]);
    expect(a).toBe(42);
    expect(b).toBe(10);
  });

  it('ask works for channel-fed agents, in process', async () => {
    const { app } = track(testApp());
    const greet = app.agent(app.channel<string>(), async function* hello(stream) {
      for await (const name of stream) yield { greeting: `hello ${name}` };
    });
    await app.start();
    expect(await greet.ask('ada')).toEqual({ greeting: 'hello ada' });
  });

  it('ask times out with a clear error when the handler never yields', async () => {
    const clock = new SimulatedClock(0);
    const { app } = track(testApp({ clock }));
    const topic = app.topic(defineTopic({ name: 'silent', key: codecs.string, value: codecs.string, partitions: 1 }));
    let seen = 0;
    const silent = app.agent(topic, async function* mute(stream) {
      for await (const _ of stream) {
        seen++;
        if (seen < 0) yield 'never';
      }
    });
    await app.start();
    const reply = silent.ask('hello?', { timeout: 5000 });
    const outcome = reply.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await until(() => seen === 1, 'the request to arrive');
    await clock.advance(5000);
    const error = await outcome;
    expect(isAskTimeoutError(error)).toBe(true);
    expect((error as Error).message).toMatch(/No reply from agent mute within 5000 ms/);
  });
});

describe('timers', () => {
  it('timer and crontab fire on the app clock', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const { app } = track(testApp({ clock }));
    let ticks = 0;
    const cron: number[] = [];
    app.timer(1000, () => {
      ticks++;
    });
    app.crontab('*/5 * * * *', () => {
      cron.push(clock.now());
    });
    await app.start();
    await clock.advance(10 * 60 * 1000);
    expect(ticks).toBe(600);
    expect(cron.map((t) => new Date(t).toISOString())).toEqual(['2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z']);
  });
});

describe('manual acknowledgement', () => {
  it("with ack: 'manual' only acknowledged events count toward the commit", async () => {
    const { app, broker } = track(testApp());
    const topic = app.topic(numbers);
    const held: { ack(): void }[] = [];
    let seen = 0;
    app.agent(
      topic,
      async function manual(stream) {
        for await (const event of stream.events()) {
          seen++;
          if (event.value === 2) held.push(event);
          else stream.ack(event);
        }
      },
      { ack: 'manual' },
    );
    await app.start();
    for (let i = 0; i < 5; i++) await topic.send({ key: 'k', value: i });
    await until(() => seen === 5, 'five events');
    await app.commit();
    expect(committed(broker, 'test', 'numbers')).toBe(2);
    held[0]!.ack();
    await app.commit();
    expect(committed(broker, 'test', 'numbers')).toBe(5);
  });
});
