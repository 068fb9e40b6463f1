/**
 * Kafka benchmark (`npm run bench:kafka`): on the real broker and registry started by
 * scripts/with-kafka.sh, one worker process, 1,000,000 Avro click events (Confluent-framed, 4
 * partitions, keyed by url), read from the beginning by a fresh consumer group each time:
 *
 * - raw-kafkajs: a kafkajs eachBatch consumer that does the same work by hand: strip the 5-byte
 *   frame, decode with the generated `Click` class, keep non-bot clicks and sum their durations;
 * - stateless: the same work as a mephisto agent on `kafka://` with the registry wire format;
 * - count-by-key: a mephisto agent counting clicks per url into a table (changelog on Kafka).
 *
 * Each is timed from its first event to its last (group joins and app start are left out, and
 * reported apart). One raw run first warms the broker's page cache and the JIT and is not counted
 * (in two runs the first read of the freshly loaded topic was the slowest raw run by 30-50%, which
 * flattered every ratio to raw; in a third it was the fastest). Then raw and stateless runs alternate (BENCH_ROUNDS, default 2),
 * raw first and last, and the ratios are of means over those runs, all in the same process, on the same topic. Every case checks its
 * result against what the generator says a correct consumer computes.
 *
 * Environment: BENCH_EVENTS (default 1,000,000), BENCH_URLS (distinct urls, default 10,000: more
 * makes the count table's commit-time changelog flush larger), MEPHISTO_KAFKA_BROKERS,
 * MEPHISTO_REGISTRY_URL.
 * Rows go to bench/results/kafka.json; the figures are quoted in BENCHMARKS.md (section kafka).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import { App } from '../src/app/app.js';
import { consoleLogger, silentLogger, type LogLevel } from '../src/logging.js';
import { codecs, defineTopic } from '../src/serde/index.js';
import { Click } from '../generated/com/acme/clicks/Click.js';
import { clickStats, type ClickSpec } from './lib/clicks.js';
import { loadClicks, registerClickSchema } from './lib/load-clicks.js';
import { peakRssMB, row, writeResults, type BenchRow } from './results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PARTITIONS = 4;
/** Stateless runs, each followed by a raw run (plus one raw run before the first). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const brokers = (process.env.MEPHISTO_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const registryUrl = process.env.MEPHISTO_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const runId = `${Date.now().toString(36)}`;
/** BENCH_LOG=debug (or info ...) shows what the apps do; silent by default, as timing wants. */
const logger = process.env.BENCH_LOG ? consoleLogger('bench', process.env.BENCH_LOG as LogLevel) : silentLogger;

interface Measured {
  readonly events: number;
  /** First event to last event. */
  readonly millis: number;
  /** Start of the consumer or app to its first event. */
  readonly startMillis: number;
}

interface Tally {
  events: number;
  kept: number;
  keptDurationMs: number;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function check(what: string, tally: Tally, expected: { kept: number; keptDurationMs: number }): void {
  if (tally.events !== EVENTS || tally.kept !== expected.kept || tally.keptDurationMs !== expected.keptDurationMs) {
    throw new Error(`${what} computed a wrong result: ${JSON.stringify(tally)}, expected ${JSON.stringify({ events: EVENTS, ...expected })}`);
  }
}

/** A kafkajs consumer written by hand for exactly this job: the baseline. */
async function rawKafkajs(topic: string, schemaId: number): Promise<{ measured: Measured; tally: Tally }> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-raw', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-raw-${runId}-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 500 });
  const tally: Tally = { events: 0, kept: 0, keptDurationMs: 0 };
  const started = performance.now();
  let first = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      if (first === 0) first = performance.now();
      for (const message of batch.messages) {
        const value = message.value!;
        if (value[0] !== 0 || value.readInt32BE(1) !== schemaId) throw new Error('unexpected frame');
        const click = Click.decode(value.subarray(5));
        if (click.device !== 'BOT') {
          tally.kept++;
          tally.keptDurationMs += click.durationMs;
        }
      }
      tally.events += batch.messages.length;
      if (tally.events >= EVENTS) done();
    },
  });
  await finished;
  const end = performance.now();
  await consumer.disconnect();
  return { measured: { events: tally.events, millis: end - first, startMillis: first - started }, tally };
}

function clicksBinding(topic: string) {
  return defineTopic({ name: topic, key: codecs.string, value: codecs.model(Click), partitions: PARTITIONS });
}

let statelessRuns = 0;
async function statelessAgent(topic: string): Promise<{ measured: Measured; tally: Tally }> {
  // A new app id (so a new consumer group, reading from the beginning) for every run.
  const app = new App(`bench-stateless-${runId}-${++statelessRuns}`, { broker: `kafka://${brokers.join(',')}`, registry: registryUrl, logger });
  const tally: Tally = { events: 0, kept: 0, keptDurationMs: 0 };
  let first = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  app.agent(app.topic(clicksBinding(topic)), async function stateless(stream) {
    for await (const click of stream) {
      if (first === 0) first = performance.now();
      if (click.device !== 'BOT') {
        tally.kept++;
        tally.keptDurationMs += click.durationMs;
      }
      if (++tally.events === EVENTS) done();
    }
  });
  const started = performance.now();
  await app.start();
  await finished;
  const end = performance.now();
  await app.stop();
  return { measured: { events: tally.events, millis: end - first, startMillis: first - started }, tally };
}

async function countByKey(topic: string, countsByUrl: ReadonlyMap<string, number>): Promise<Measured> {
  const app = new App(`bench-count-${runId}`, { broker: `kafka://${brokers.join(',')}`, registry: registryUrl, logger });
  const counts = app.table('clicks-per-url', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
  let events = 0;
  let first = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  app.agent(app.topic(clicksBinding(topic)), async function countByUrl(stream) {
    for await (const click of stream) {
      if (first === 0) first = performance.now();
      counts.set(click.url, counts.get(click.url) + 1);
      if (++events === EVENTS) done();
    }
  });
  const started = performance.now();
  await app.start();
  await finished;
  const end = performance.now();
  for (const [url, count] of countsByUrl) {
    if (counts.get(url) !== count) throw new Error(`count-by-key: ${url} counted ${counts.get(url)}, expected ${count}`);
  }
  await app.stop();
  return { events, millis: end - first, startMillis: first - started };
}

async function main(): Promise<void> {
  const spec: ClickSpec = { count: EVENTS, distinctUrls: Number(process.env.BENCH_URLS ?? 10_000), seed: 11 };
  const expected = clickStats(spec);
  const reuse = process.env.BENCH_TOPIC;
  const topic = reuse ?? `bench-clicks-${runId}`;
  let loaded: { schemaId: number; millis: number };
  if (reuse === undefined) {
    log(`loading ${EVENTS} clicks into ${topic} (${PARTITIONS} partitions) at ${brokers.join(',')}`);
    loaded = await loadClicks({ brokers, registryUrl, topic, partitions: PARTITIONS, schema: Click.schema, spec });
    log(`loaded in ${(loaded.millis / 1000).toFixed(1)} s (schema id ${loaded.schemaId}); BENCH_TOPIC=${topic} reuses it`);
  } else {
    // A topic loaded by an earlier run with the same BENCH_EVENTS (profiling, repeated runs).
    loaded = { schemaId: await registerClickSchema(registryUrl, topic, Click.schema), millis: 0 };
  }
  if (process.env.BENCH_ONLY === 'stateless') {
    const only = await statelessAgent(topic);
    check('stateless', only.tally, expected);
    log(`stateless only: ${(only.measured.events / (only.measured.millis / 1000)).toFixed(0)} events/s`);
    return;
  }

  const rate = (m: Measured) => m.events / (m.millis / 1000);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Raw and stateless alternate, raw first and last, so that a noisy neighbour weighs on both alike.
  const rawRates: number[] = [];
  const statelessRates: number[] = [];
  const starts: Record<string, number[]> = { raw: [], stateless: [] };
  const runRaw = async () => {
    const raw = await rawKafkajs(topic, loaded.schemaId);
    check('raw-kafkajs', raw.tally, expected);
    rawRates.push(rate(raw.measured));
    starts.raw!.push(raw.measured.startMillis);
    log(`raw-kafkajs:   ${rate(raw.measured).toFixed(0)} events/s`);
  };
  const warmUp = await rawKafkajs(topic, loaded.schemaId);
  check('raw-kafkajs warm-up', warmUp.tally, expected);
  log(`warm-up (raw-kafkajs, not counted): ${rate(warmUp.measured).toFixed(0)} events/s`);
  await runRaw();
  for (let round = 0; round < ROUNDS; round++) {
    const stateless = await statelessAgent(topic);
    check('stateless', stateless.tally, expected);
    statelessRates.push(rate(stateless.measured));
    starts.stateless!.push(stateless.measured.startMillis);
    log(`stateless:     ${rate(stateless.measured).toFixed(0)} events/s`);
    await runRaw();
  }
  const counted = await countByKey(topic, expected.countsByUrl);
  log(`count-by-key:  ${rate(counted).toFixed(0)} events/s`);
  await runRaw();

  const rawRate = mean(rawRates);
  const statelessRate = mean(statelessRates);
  // Cases name what ran; rates are means over the runs, first event to last event.
  const RAW = 'raw-kafkajs eachBatch consumer, mean of runs';
  const STATELESS = 'stateless agent, mean of runs';
  const COUNT = 'count-by-key table agent, one run';
  const rows: BenchRow[] = [
    row('kafka', RAW, 'eventsPerSec', rawRate, 'events/s'),
    row('kafka', RAW, 'runs', rawRates.length, 'runs'),
    row('kafka', RAW, 'eventsPerSecMin', Math.min(...rawRates), 'events/s'),
    row('kafka', RAW, 'eventsPerSecMax', Math.max(...rawRates), 'events/s'),
    row('kafka', RAW, 'startToFirstEventMs', mean(starts.raw!), 'ms'),
    row('kafka', STATELESS, 'eventsPerSec', statelessRate, 'events/s'),
    row('kafka', STATELESS, 'runs', statelessRates.length, 'runs'),
    row('kafka', STATELESS, 'eventsPerSecMin', Math.min(...statelessRates), 'events/s'),
    row('kafka', STATELESS, 'eventsPerSecMax', Math.max(...statelessRates), 'events/s'),
    row('kafka', STATELESS, 'ratioToRaw', statelessRate / rawRate, 'x'),
    row('kafka', STATELESS, 'startToFirstEventMs', mean(starts.stateless!), 'ms'),
    row('kafka', COUNT, 'eventsPerSec', rate(counted), 'events/s'),
    row('kafka', COUNT, 'ratioToRaw', rate(counted) / rawRate, 'x'),
    row('kafka', COUNT, 'startToFirstEventMs', counted.startMillis, 'ms'),
    row('kafka', 'raw-kafkajs warm-up run, first read of the loaded topic, not in the means', 'eventsPerSec', rate(warmUp.measured), 'events/s'),
    row('kafka', 'all cases', 'events', EVENTS, 'events'),
    row('kafka', 'all cases', 'loadAverage1m', Number(loadavg()[0]!.toFixed(2)), 'load'),
    row('kafka', 'all cases, peak of the worker process', 'rssMB', peakRssMB(), 'MiB'),
  ];
  const path = writeResults('kafka', rows);
  log(`stateless ${(statelessRate / rawRate).toFixed(2)}x raw, count-by-key ${(rate(counted) / rawRate).toFixed(2)}x raw; rows in ${path}`);
  if (reuse !== undefined) return;
  // The benchmark topic is large; leave the broker as it was.
  const admin = new kafkajs.Kafka({ clientId: 'bench-cleanup', brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:kafka failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
