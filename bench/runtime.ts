/**
 * Runtime throughput on the embedded broker (`npm run bench:runtime`).
 *
 * 1. Stateless agent, end to end, Avro values (the generated Click and PageViews models): the
 *    consumer hands batches to the agent, the stream decodes each Click, drops bots, maps the rest
 *    to a PageViews, and the agent yields it to the `page-views` topic (encode, batched send); and
 *    the same agent consuming in batches (`take(1000, { within: 0 })`).
 *    Compared with a raw avsc loop doing the same decode/filter/construct/encode over the same bytes,
 *    with the same work done by no framework (the floors), and with that work plus the embedded
 *    broker's own part (the ceiling for any runtime on `memory://`).
 * 2. Framework overhead: an identity agent on raw bytes (no decoding) vs a bare loop handing on
 *    the same bytes; the difference per event is the framework's cost, split into the async
 *    generator protocol (the bare loop behind `for await` + `yield`) and the rest (the runtime
 *    and the embedded broker).
 *
 * The input is encoded once and held outside the JavaScript heap (two packed buffers and their
 * end offsets), as the broker holds it: a million Buffer objects kept by the harness would make
 * every full GC of the process mark them, a cost a real worker does not have (it inflated the
 * framework's figures by a third in the first version of this bench).
 *
 * Every case runs in this one process, on one core (Node's main thread); the cases alternate, run
 * after run, and the best run of each is reported, in events per second of wall time and per
 * second of process CPU time (user + system: the main thread and V8's GC helpers; steadier than
 * wall time when other processes share the machine). Rows go to bench/results/runtime.json.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { App } from '../src/app/index.js';
import { silentLogger } from '../src/logging.js';
import { codecs, defineTopic } from '../src/serde/index.js';
import { MemoryBroker } from '../src/transport/memory/index.js';
import { RecordBuffer } from '../src/transport/record-buffer.js';
import type { ProducerRecord, RangeDecoder } from '../src/transport/types.js';
import { Click } from '../generated/com/acme/clicks/Click.js';
import { PageViews } from '../generated/com/acme/analytics/PageViews.js';
import { clicks, pageViews } from '../generated/topics.js';
import { encodeAvro } from '../src/serde/avro-encode.js';
import { row, writeResults, type BenchRow } from './results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DEVICES = ['DESKTOP', 'MOBILE', 'TABLET', 'BOT'] as const;

/** Byte strings packed into one buffer, with the end offset of each (start: the previous end). */
interface Packed {
  readonly bytes: Buffer;
  readonly ends: Uint32Array;
}

function pack(parts: readonly Buffer[]): Packed {
  const ends = new Uint32Array(parts.length);
  let end = 0;
  for (let i = 0; i < parts.length; i++) ends[i] = end += parts[i]!.length;
  return { bytes: Buffer.concat(parts, end), ends };
}

const startOf = (packed: Packed, i: number): number => (i === 0 ? 0 : packed.ends[i - 1]!);

/** Deterministic clicks (a small LCG), encoded once; every case reads the same bytes. */
function makeClicks(n: number): { keys: Packed; values: Packed } {
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
      device: DEVICES[(next() >>> 16) % 4]!,
      durationMs: next() % 30_000,
    });
    keys.push(Buffer.from(user));
    values.push(Click.type.toBuffer(click));
  }
  return { keys: pack(keys), values: pack(values) };
}

/**
 * Where a loop's outputs go: each is held until 10,000 are, then all are dropped, as a send batch
 * holds its records until it is sent (so that no loop keeps less alive than the runtime does).
 */
function heldOutputs(): (bytes: Buffer) => void {
  const held: Buffer[] = [];
  return (bytes) => {
    held.push(bytes);
    if (held.length === 10_000) held.length = 0;
  };
}

/** avsc alone: decode each Click where it lies, drop bots, build a PageViews, `toBuffer` it. */
function rawAvroLoop(values: Packed): number {
  const { bytes, ends } = values;
  const type = Click.type;
  const output = heldOutputs();
  let sent = 0;
  for (let i = 0; i < ends.length; i++) {
    const decoded = type.decode(bytes, startOf(values, i));
    if (decoded.offset !== ends[i]) throw new Error(`record ${i} did not decode to its end`);
    const click = decoded.value as Click;
    if (click.device === 'BOT') continue;
    output(PageViews.type.toBuffer(new PageViews({ url: click.url, views: 1 })));
    sent++;
  }
  return sent;
}

/** The Click codec the runtime decodes with (in place: `decodeRange`). */
const clickCodec = codecs.model(Click);

/**
 * The ceiling for any runtime: the agent's work with no framework. The runtime's decoding of each
 * record where it lies, the filter and map, and the runtime's own slab encoder; nothing queued,
 * tracked, committed or appended to a log.
 */
function floorLoop(values: Packed): number {
  const { bytes, ends } = values;
  const output = heldOutputs();
  let sent = 0;
  for (let i = 0; i < ends.length; i++) {
    const click = clickCodec.decodeRange!(bytes, startOf(values, i), ends[i]!);
    if (click.device === 'BOT') continue;
    output(encodeAvro(PageViews.type, new PageViews({ url: click.url, views: 1 })));
    sent++;
  }
  return sent;
}

/**
 * Values from `pull` (undefined: no more) behind the async generator protocol a per-event agent
 * uses: a source whose `next()` returns a resolved promise, a handler `for await`-ing it and
 * yielding each value, a driver `await`-ing the handler's `next()` and handing each to `sink`.
 */
async function behindGenerator<T>(pull: () => T | undefined, sink: (value: T) => void): Promise<number> {
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<T>> => {
        const value = pull();
        return Promise.resolve(value === undefined ? { value: undefined, done: true } : { value, done: false });
      },
    }),
  };
  async function* handler(stream: AsyncIterable<T>): AsyncGenerator<T> {
    for await (const value of stream) yield value;
  }
  let n = 0;
  const generator = handler(source);
  for (;;) {
    const step = await generator.next();
    if (step.done) break;
    sink(step.value);
    n++;
  }
  return n;
}

/** The floor's work behind the async generator protocol: the ceiling for any `for await` + `yield` handler. */
function floorGenerator(values: Packed): Promise<number> {
  const { bytes, ends } = values;
  const output = heldOutputs();
  let i = 0;
  return behindGenerator(
    () => {
      while (i < ends.length) {
        const start = startOf(values, i);
        const click = clickCodec.decodeRange!(bytes, start, ends[i++]!);
        if (click.device !== 'BOT') return new PageViews({ url: click.url, views: 1 });
      }
      return undefined;
    },
    (view) => output(encodeAvro(PageViews.type, view)),
  );
}

/**
 * The ceiling for any runtime on `memory://`: the agent's work plus the embedded broker's own
 * part, and nothing else. Batches of records read from each partition's log (as its consumer
 * reads them), values decoded where they lie, filtered, mapped, encoded into one RecordBuffer per
 * batch and appended to the output topic's log (as the runtime's send path appends them); no
 * queue, no offsets tracked or committed, no stream, no agent.
 */
function brokerCeilingLoop(broker: MemoryBroker, sourceTopic: string, outputTopic: string): number {
  let sent = 0;
  const valueCodec = clickCodec as RangeDecoder<Click>;
  const viewCodec = codecs.model(PageViews);
  for (const log of broker.topic(sourceTopic, 'bench').logs) {
    for (let from = 0; from < log.end; from += 1000) {
      const out = new RecordBuffer(outputTopic, 32 * 1024);
      for (const record of log.readForConsumer(from, from + 1000)) {
        const click = record.readValue!(valueCodec)!;
        if (click.device === 'BOT') continue;
        out.writeValue(viewCodec, new PageViews({ url: click.url, views: 1 }));
        out.endRecord(undefined);
      }
      broker.appendBuffer(out);
      sent += out.count;
    }
  }
  return sent;
}

/**
 * The bare loop's work behind the async generator protocol, as the identity agent runs it: the
 * cost of `for await` + `yield` per event with no framework, to tell it from the runtime's own.
 */
function bareGenerator(values: Packed): Promise<number> {
  const { bytes, ends } = values;
  let i = 0;
  return behindGenerator(() => (i < ends.length ? bytes.subarray(startOf(values, i), ends[i++]!) : undefined), heldOutputs());
}

/** Hands each record's bytes on (a view of them, as any consumer gets), nothing else. */
function bareLoop(values: Packed): number {
  const { bytes, ends } = values;
  const output = heldOutputs();
  for (let i = 0; i < ends.length; i++) output(bytes.subarray(startOf(values, i), ends[i]!));
  return ends.length;
}

interface Timing {
  readonly seconds: number;
  /** Process CPU time (user + system), seconds. */
  readonly cpuSeconds: number;
}

/** A fresh embedded broker (named by `url`) with the clicks in the source topic. */
function loadedBroker(url: string, sourceTopic: string, partitions: number, keys: Packed, values: Packed): MemoryBroker {
  const broker = MemoryBroker.forUrl(url);
  broker.createTopic({ topic: sourceTopic, partitions });
  const count = values.ends.length;
  for (let from = 0; from < count; from += 10_000) {
    const records: ProducerRecord[] = [];
    for (let i = from; i < Math.min(count, from + 10_000); i++) {
      records.push({ key: keys.bytes.subarray(startOf(keys, i), keys.ends[i]), value: values.bytes.subarray(startOf(values, i), values.ends[i]) });
    }
    broker.append(sourceTopic, records);
  }
  return broker;
}

/** Times the broker ceiling loop on a freshly loaded broker. */
async function timeBrokerCeiling(keys: Packed, values: Packed, expected: number): Promise<Timing> {
  const url = `memory://bench-${randomUUID()}`;
  const broker = loadedBroker(url, clicks.name, clicks.partitions ?? 4, keys, values);
  broker.createTopic({ topic: pageViews.name, partitions: pageViews.partitions ?? 4 });
  const timing = await timeLoop(() => {
    const sent = brokerCeilingLoop(broker, clicks.name, pageViews.name);
    if (sent !== expected) throw new Error(`the broker ceiling loop sent ${sent} views, expected ${expected}`);
    return sent;
  });
  MemoryBroker.drop(url);
  return timing;
}

/** Loads the source topic straight into a fresh broker, then times the app from start to drained. */
async function timeApp(
  build: (app: App) => { expected: number; outputTopic: string },
  sourceTopic: string,
  partitions: number,
  keys: Packed,
  values: Packed,
): Promise<Timing> {
  const url = `memory://bench-${randomUUID()}`;
  const broker = loadedBroker(url, sourceTopic, partitions, keys, values);
  const app = new App('bench', { broker: url, logger: silentLogger, commitInterval: 1000, env: {} });
  const { expected, outputTopic } = build(app);
  const outputCount = () => {
    let n = 0;
    for (const log of broker.topics.get(outputTopic)?.logs ?? []) n += log.end;
    return n;
  };
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await app.start();
  while (outputCount() < expected) await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await app.stop();
  MemoryBroker.drop(url);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

function best(runs: readonly Timing[]): Timing {
  return { seconds: Math.min(...runs.map((r) => r.seconds)), cpuSeconds: Math.min(...runs.map((r) => r.cpuSeconds)) };
}

async function timeLoop(fn: () => number | Promise<number>): Promise<Timing> {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(cpu);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function main(): Promise<void> {
  console.log(`runtime bench: ${EVENTS} events, best of ${RUNS} alternating runs, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);
  const { keys, values } = makeClicks(EVENTS);
  const nonBots = rawAvroLoop(values);
  console.log(`${nonBots} of ${EVENTS} clicks are not bots`);
  // the floors do the same work: check it (and warm them up) before timing anything
  const floorSent = floorLoop(values);
  const floorGenSent = await floorGenerator(values);
  if (floorSent !== nonBots || floorGenSent !== nonBots) throw new Error(`floors sent ${floorSent} and ${floorGenSent} views, expected ${nonBots}`);

  const statelessAgent = (app: App) => {
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
  };
  const batchedAgent = (app: App) => {
    const source = app.topic(clicks);
    const sink = app.topic(pageViews);
    app.agent(source, async function viewsBatched(stream) {
      for await (const batch of stream.filter((c) => c.device !== 'BOT').map((c) => new PageViews({ url: c.url, views: 1 })).take(1000, { within: 0 })) {
        for (const view of batch) void sink.send({ value: view });
      }
    });
    return { expected: nonBots, outputTopic: pageViews.name };
  };
  const identityAgent = (app: App) => {
    const source = app.topic(defineTopic({ name: 'raw-in', key: codecs.bytes, value: codecs.bytes, partitions: 4 }));
    const sink = app.topic(defineTopic({ name: 'raw-out', key: codecs.bytes, value: codecs.bytes, partitions: 4 }));
    app.agent(
      source,
      async function* identity(stream) {
        for await (const bytes of stream) yield bytes;
      },
      { sink: [sink] },
    );
    return { expected: EVENTS, outputTopic: 'raw-out' };
  };

  const runs = { raw: [] as Timing[], floor: [] as Timing[], floorGenerator: [] as Timing[], brokerCeiling: [] as Timing[], bare: [] as Timing[], bareGenerator: [] as Timing[], stateless: [] as Timing[], batched: [] as Timing[], identity: [] as Timing[] };
  for (let run = 0; run < RUNS; run++) {
    runs.raw.push(await timeLoop(() => rawAvroLoop(values)));
    runs.floor.push(await timeLoop(() => floorLoop(values)));
    runs.floorGenerator.push(await timeLoop(() => floorGenerator(values)));
    runs.brokerCeiling.push(await timeBrokerCeiling(keys, values, nonBots));
    runs.bare.push(await timeLoop(() => bareLoop(values)));
    runs.bareGenerator.push(await timeLoop(() => bareGenerator(values)));
    runs.stateless.push(await timeApp(statelessAgent, clicks.name, clicks.partitions ?? 4, keys, values));
    runs.batched.push(await timeApp(batchedAgent, clicks.name, clicks.partitions ?? 4, keys, values));
    runs.identity.push(await timeApp(identityAgent, 'raw-in', 4, keys, values));
    console.log(`run ${run + 1}: ${Object.entries(runs).map(([name, list]) => `${name} ${Math.round(EVENTS / list[run]!.seconds)}`).join(', ')} events/s (load ${loadavg()[0]!.toFixed(1)})`);
  }
  const raw = best(runs.raw);
  const bare = best(runs.bare);
  const bareGen = best(runs.bareGenerator);
  const floor = best(runs.floor);
  const floorGen = best(runs.floorGenerator);
  const brokerCeiling = best(runs.brokerCeiling);
  const stateless = best(runs.stateless);
  const batched = best(runs.batched);
  const identity = best(runs.identity);
  const perSec = (t: Timing) => Math.round(EVENTS / t.seconds);
  const perCpuSec = (t: Timing) => Math.round(EVENTS / t.cpuSeconds);
  const ratio = (a: Timing, b: Timing) => Number((b.seconds / a.seconds).toFixed(3));
  const cpuRatio = (a: Timing, b: Timing) => Number((b.cpuSeconds / a.cpuSeconds).toFixed(3));

  const STATELESS = 'stateless agent, per-event for await + yield (Avro Click -> filter -> map -> PageViews topic)';
  const BATCHED = 'stateless agent, batched (take(1000, { within: 0 }) + topic.send)';
  const RAW = 'raw avsc loop: decode Click, drop bots, new PageViews, toBuffer';
  const FLOOR = 'floor: the agent work with no framework (decode in place, filter, map, slab encode)';
  const CEILING = 'ceiling on memory://: the agent work plus the embedded broker (batched log reads, RecordBuffer appends), no runtime';
  const FLOOR_GEN = 'floor: the same work behind for await + yield (async generator protocol, no framework)';
  const IDENTITY = 'identity agent on raw bytes (for await + yield, no decoding)';
  const BARE = 'bare loop handing on the same bytes';
  const BARE_GEN = 'the same bytes behind for await + yield (async generator protocol, no framework)';
  /** Events per second of wall time and of CPU time. */
  const rates = (name: string, t: Timing): BenchRow[] => [
    row('runtime', name, 'eventsPerSec', perSec(t), 'events/s'),
    row('runtime', name, 'eventsPerCpuSec', perCpuSec(t), 'events/s'),
  ];
  const rows: BenchRow[] = [
    ...rates(STATELESS, stateless),
    row('runtime', STATELESS, 'ratioToRawAvsc', ratio(stateless, raw), 'x'),
    row('runtime', STATELESS, 'cpuRatioToRawAvsc', cpuRatio(stateless, raw), 'x'),
    row('runtime', STATELESS, 'ratioToFloor', ratio(stateless, floorGen), 'x'),
    ...rates(BATCHED, batched),
    row('runtime', BATCHED, 'ratioToRawAvsc', ratio(batched, raw), 'x'),
    row('runtime', BATCHED, 'cpuRatioToRawAvsc', cpuRatio(batched, raw), 'x'),
    row('runtime', BATCHED, 'ratioToFloor', ratio(batched, floor), 'x'),
    row('runtime', BATCHED, 'ratioToBrokerCeiling', ratio(batched, brokerCeiling), 'x'),
    ...rates(RAW, raw),
    ...rates(FLOOR, floor),
    ...rates(FLOOR_GEN, floorGen),
    ...rates(CEILING, brokerCeiling),
    row('runtime', CEILING, 'ratioToRawAvsc', ratio(brokerCeiling, raw), 'x'),
    ...rates(IDENTITY, identity),
    row('runtime', BARE, 'eventsPerSec', perSec(bare), 'events/s'),
    ...rates(BARE_GEN, bareGen),
    row('runtime', 'framework overhead per event (identity agent minus bare loop, wall)', 'nsPerEvent', Number((((identity.seconds - bare.seconds) / EVENTS) * 1e9).toFixed(1)), 'ns'),
    row('runtime', 'framework overhead per event (identity agent minus bare loop, CPU)', 'nsPerEvent', Number((((identity.cpuSeconds - bare.cpuSeconds) / EVENTS) * 1e9).toFixed(1)), 'ns'),
    // of which the async generator protocol (any for await + yield handler pays it) ...
    row('runtime', 'async generator protocol per event (bare loop behind for await + yield minus bare loop, wall)', 'nsPerEvent', Number((((bareGen.seconds - bare.seconds) / EVENTS) * 1e9).toFixed(1)), 'ns'),
    // ... and the rest: the runtime and the embedded broker (consumer read, queue, tracking, send path, append)
    row('runtime', 'runtime and broker per event (identity agent minus the same bytes behind for await + yield, wall)', 'nsPerEvent', Number((((identity.seconds - bareGen.seconds) / EVENTS) * 1e9).toFixed(1)), 'ns'),
    row('runtime', 'all cases', 'events', EVENTS, 'events'),
    row('runtime', 'all cases', 'loadAverage1m', Number(loadavg()[0]!.toFixed(2)), 'load'),
  ];
  for (const r of rows) console.log(`${r.case.padEnd(92)} ${r.metric.padEnd(18)} ${String(r.value).padStart(12)} ${r.unit}`);
  const path = writeResults('runtime', rows);
  console.log(`wrote ${path}`);
}

await main();
