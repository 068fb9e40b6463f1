/**
 * Runtime throughput on the embedded broker (`npm run bench:runtime`).
 *
 * 1. Stateless agent, end to end, Avro values (the generated Click and PageViews models): the
 *    consumer hands batches to the agent, the stream decodes each Click, drops bots, maps the rest
 *    to a PageViews, and the agent yields it to the `page-views` topic (encode, batched send).
 *    Compared with a raw avsc loop doing the same decode/filter/construct/encode on the same buffers.
 * 2. Framework overhead: an identity agent on raw bytes (no decoding) vs a bare loop over the same
 *    buffers; the difference per event is the framework's own cost.
 *
 * Every case runs in this one process, one after the other, on one core (Node's main thread), and
 * is repeated; the best run of each is reported. Rows go to bench/results/runtime.json.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { App } from '../src/app/index.js';
import { silentLogger } from '../src/logging.js';
import { codecs, defineTopic } from '../src/serde/index.js';
import { MemoryBroker } from '../src/transport/memory/index.js';
import type { ProducerRecord } from '../src/transport/types.js';
import { Click } from '../generated/com/acme/clicks/Click.js';
import { PageViews } from '../generated/com/acme/analytics/PageViews.js';
import { clicks, pageViews } from '../generated/topics.js';
import { row, writeResults, type BenchRow } from './results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DEVICES = ['DESKTOP', 'MOBILE', 'TABLET', 'BOT'] as const;

/** Deterministic clicks (a small LCG), encoded once; every case reads the same buffers. */
function makeClicks(n: number): { keys: Buffer[]; values: Buffer[] } {
  let seed = 42;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const user = `user-${next() % 5000}`;
    const click = new Click({
      url: `https://shop.example/p/${next() % 500}`,
      userId: user,
      sessionId: '9b2f7c1e-3a4d-4e8f-9c0b-1d2e3f4a5b6c',
      timestamp: new Date(1_700_000_000_000 + i),
      device: DEVICES[next() % 4]!,
      durationMs: next() % 30_000,
    });
    keys.push(Buffer.from(user));
    values.push(Click.type.toBuffer(click));
  }
  return { keys, values };
}

function rawAvroLoop(values: readonly Buffer[]): number {
  let sent = 0;
  const out: Buffer[] = [];
  for (let i = 0; i < values.length; i++) {
    const click = Click.decode(values[i]!);
    if (click.device === 'BOT') continue;
    const view = new PageViews({ url: click.url, views: 1 });
    out.push(PageViews.type.toBuffer(view));
    sent++;
    if (out.length === 10_000) out.length = 0;
  }
  return sent;
}

function bareLoop(values: readonly Buffer[]): number {
  const out: Buffer[] = [];
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    out.push(values[i]!);
    n++;
    if (out.length === 10_000) out.length = 0;
  }
  return n;
}

/** Loads the source topic straight into a fresh broker, then times the app from start to drained. */
async function timeApp(
  build: (app: App) => { expected: number; outputTopic: string },
  sourceTopic: string,
  partitions: number,
  keys: readonly Buffer[],
  values: readonly Buffer[],
): Promise<{ seconds: number; processed: number }> {
  const url = `memory://bench-${randomUUID()}`;
  const broker = MemoryBroker.forUrl(url);
  broker.createTopic({ topic: sourceTopic, partitions });
  const records: ProducerRecord[] = values.map((value, i) => ({ key: keys[i]!, value }));
  broker.append(sourceTopic, records);
  const app = new App('bench', { broker: url, logger: silentLogger, commitInterval: 1000, env: {} });
  const { expected, outputTopic } = build(app);
  const outputCount = () => {
    let n = 0;
    for (const log of broker.topics.get(outputTopic)?.logs ?? []) n += log.end;
    return n;
  };
  const started = process.hrtime.bigint();
  await app.start();
  while (outputCount() < expected) await new Promise((resolve) => setImmediate(resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await app.stop();
  MemoryBroker.drop(url);
  return { seconds, processed: values.length };
}

function best<T extends { seconds: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

function timeLoop(fn: () => number): { seconds: number; result: number } {
  const started = process.hrtime.bigint();
  const result = fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

async function main(): Promise<void> {
  console.log(`runtime bench: ${EVENTS} events, best of ${RUNS} runs, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);
  const { keys, values } = makeClicks(EVENTS);
  const nonBots = rawAvroLoop(values);

  const raw = best(Array.from({ length: RUNS }, () => timeLoop(() => rawAvroLoop(values))));
  const bare = best(Array.from({ length: RUNS }, () => timeLoop(() => bareLoop(values))));

  const stateless: { seconds: number; processed: number }[] = [];
  const batched: { seconds: number; processed: number }[] = [];
  const identity: { seconds: number; processed: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    stateless.push(
      await timeApp(
        (app) => {
          const source = app.topic(clicks);
          const sink = app.topic(pageViews);
          app.agent(
            source,
            async function* views(stream) {
              for await (const view of stream.filter((c) => c.device !== 'BOT').map((c) => new PageViews({ url: c.url, views: 1 }))) {
                yield view;
              }
            },
            { sink: [sink] },
          );
          return { expected: nonBots, outputTopic: pageViews.name };
        },
        clicks.name,
        clicks.partitions ?? 4,
        keys,
        values,
      ),
    );
    batched.push(
      await timeApp(
        (app) => {
          const source = app.topic(clicks);
          const sink = app.topic(pageViews);
          app.agent(
            source,
            async function* viewsBatched(stream) {
              for await (const batch of stream.filter((c) => c.device !== 'BOT').map((c) => new PageViews({ url: c.url, views: 1 })).take(1000, { within: 0 })) {
                for (const view of batch) void sink.send({ value: view });
              }
            },
          );
          return { expected: nonBots, outputTopic: pageViews.name };
        },
        clicks.name,
        clicks.partitions ?? 4,
        keys,
        values,
      ),
    );
    identity.push(
      await timeApp(
        (app) => {
          const source = app.topic(defineTopic({ name: 'raw-in', key: codecs.bytes, value: codecs.bytes, partitions: 4 }));
          const sink = app.topic(defineTopic({ name: 'raw-out', key: codecs.bytes, value: codecs.bytes, partitions: 4 }));
          app.agent(
            source,
            async function* identityAgent(stream) {
              for await (const bytes of stream) yield bytes;
            },
            { sink: [sink] },
          );
          return { expected: values.length, outputTopic: 'raw-out' };
        },
        'raw-in',
        4,
        keys,
        values,
      ),
    );
  }
  const s = best(stateless);
  const sb = best(batched);
  const batchedRate = EVENTS / sb.seconds;
  const id = best(identity);

  const statelessRate = EVENTS / s.seconds;
  const rawRate = EVENTS / raw.seconds;
  const identityRate = EVENTS / id.seconds;
  const bareRate = EVENTS / bare.seconds;
  const overheadNs = (id.seconds / EVENTS - bare.seconds / EVENTS) * 1e9;

  const rows: BenchRow[] = [
    row('runtime', 'stateless agent (Avro Click -> filter -> map -> PageViews topic)', 'events/s', Math.round(statelessRate), 'events/s'),
    row('runtime', 'stateless agent, batched consumption (take(1000, { within: 0 }) + topic.send)', 'events/s', Math.round(batchedRate), 'events/s'),
    row('runtime', 'batched stateless agent vs raw avsc', 'ratio', Number((batchedRate / rawRate).toFixed(3)), 'x'),
    row('runtime', 'raw avsc decode+filter+encode loop', 'events/s', Math.round(rawRate), 'events/s'),
    row('runtime', 'stateless agent vs raw avsc', 'ratio', Number((statelessRate / rawRate).toFixed(3)), 'x'),
    row('runtime', 'identity agent (bytes)', 'events/s', Math.round(identityRate), 'events/s'),
    row('runtime', 'bare loop over the same buffers', 'events/s', Math.round(bareRate), 'events/s'),
    row('runtime', 'framework overhead per event', 'ns/event', Number(overheadNs.toFixed(1)), 'ns'),
  ];
  console.log(`load average at the end: ${loadavg()[0]!.toFixed(1)}`);
  for (const r of rows) console.log(`${r.case.padEnd(68)} ${String(r.value).padStart(12)} ${r.unit}`);
  const path = writeResults('runtime', rows);
  console.log(`wrote ${path}`);
}

await main();
