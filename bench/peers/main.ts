/**
 * `npm run bench:peers`: mephisto, Faust and a raw kafkajs loop side by side on one real broker.
 *
 * Provisions what it needs (the project's Kafka broker and Schema Registry via scripts/kafka.sh and
 * scripts/registry.sh, Faust in .venv-faust via scripts/faust-venv.sh), loads the same Avro click
 * events once, then runs every contender on every workload as its own worker process with a fresh
 * consumer group, watching it from outside the same way for all (see observe.ts):
 *
 *   eventsPerSec  input events / time from the contender's partition assignment (its consumer
 *                 group turning Stable) to the last record it wrote
 *   p50Ms, p99Ms  end-to-end latency at a fixed rate: from producing an event to reading its
 *                 output (stateless) or its changelog update (count) back, on a fresh input topic
 *   rssMB         peak RSS (VmHWM) of the worker process over the throughput run
 *   correct       1 when what it wrote matches the input (counts, sums), else 0
 *
 * Flags: --short (50,000 events, no latency runs, no results written: only checks that every
 * contender completes and is correct; exits 1 otherwise), --events N, --only a,b (contenders),
 * --workloads a,b. Env: MEPHISTO_KAFKA_PORT, MEPHISTO_REGISTRY_PORT (services), PEERS_CPU_PROF=1
 * (node contenders write .cpuprofile files to bench/.data/peers/prof/<app id>/), PEERS_MEMORY_LOG=1
 * (node contenders log process.memoryUsage() every 250 ms to bench/.data/peers/<app id>.log).
 *
 * At the end it prints where the time went: per contender run, the seconds from its start to its
 * group's assignment, processing, finishing (last write to done), checking the output (the worker
 * stops meanwhile), and the latency run's start and warm-up, measuring and draining.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { resultsDir, row, writeResults, type BenchRow } from '../results.js';
import { clickStats, clickWriter, confluentFrame, type ClickData, type ClickSpec } from '../lib/clicks.js';
import { loadClicks, registerClickSchema } from '../lib/load-clicks.js';
import type { AvroSchemaJSON } from '../../src/serde/codec.js';
import { renderChart } from './chart.js';
import { committedToEnd, readTopic, topicEnd, topicSize, watchProgress } from './observe.js';
import { countTable, settingsToEnv, workloads as allWorkloads, type ContenderSettings, type PageVisit, type Workload } from './settings.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data', 'peers');

const { values: flags } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    events: { type: 'string' },
    only: { type: 'string' },
    workloads: { type: 'string' },
  },
});
const short = flags.short ?? false;
const events = Number(flags.events ?? (short ? 50_000 : 1_000_000));
const spec: ClickSpec = { count: events, distinctUrls: Math.min(100_000, Math.max(1, Math.floor(events / 10))), seed: 7 };
const partitions = 4;
// A rate every contender sustains on this machine (Faust tops out near 2,000-2,900 events/s here),
// so that the figures are the pipeline's latency, not a growing queue; 20,000 samples per run, so
// that p99 is the 200th slowest event, not a handful.
const latencyRate = 1_000;
const latencySeconds = 20;

// ---------------------------------------------------------------------------------------------
// Where the time goes: every phase of the suite, printed as a table at the end.

interface Phase {
  /** `setup`, or a contender run such as `faust/count`. */
  readonly run: string;
  readonly phase: PhaseName;
  readonly seconds: number;
}
const phaseNames = ['services', 'faust venv', 'load input', 'start', 'process', 'finish', 'check', 'lat start', 'lat measure', 'lat drain', 'stop', 'cleanup'] as const;
type PhaseName = (typeof phaseNames)[number];
const phases: Phase[] = [];
/** Phases that run beside others (on their own clock), so not part of the totals. */
const overlapping = new Set<PhaseName>(['faust venv', 'stop']);
let phaseMark = performance.now();
/** Ends the current phase of `run` now (it began at the previous mark). */
function lap(run: string, phase: PhaseName): void {
  const now = performance.now();
  phases.push({ run, phase, seconds: (now - phaseMark) / 1000 });
  phaseMark = now;
}
/** Runs `work` as one phase of `run` on its own clock (for phases that overlap others). */
async function timed<T>(run: string, phase: PhaseName, work: () => Promise<T>): Promise<T> {
  const began = performance.now();
  try {
    return await work();
  } finally {
    phases.push({ run, phase, seconds: (performance.now() - began) / 1000 });
  }
}

function printPhases(totalSeconds: number): void {
  const runs = [...new Set(phases.map((p) => p.run))];
  const used = phaseNames.filter((name) => phases.some((p) => p.phase === name));
  const cell = (run: string, name: PhaseName) => {
    const s = phases.filter((p) => p.run === run && p.phase === name).reduce((sum, p) => sum + p.seconds, 0);
    return phases.some((p) => p.run === run && p.phase === name) ? s.toFixed(1) : '';
  };
  const width = Math.max(...runs.map((r) => r.length), 5);
  console.log(`peers: time per phase (seconds; 'faust venv' overlaps 'load input', 'stop' overlaps 'check' and 'lat drain', neither is in the totals):`);
  console.log(`  ${'run'.padEnd(width)} ${used.map((n) => n.padStart(11)).join(' ')} ${'total'.padStart(7)}`);
  for (const run of runs) {
    const total = phases.filter((p) => p.run === run && !overlapping.has(p.phase)).reduce((sum, p) => sum + p.seconds, 0);
    console.log(`  ${run.padEnd(width)} ${used.map((n) => cell(run, n).padStart(11)).join(' ')} ${total.toFixed(1).padStart(7)}`);
  }
  const accounted = phases.filter((p) => !overlapping.has(p.phase)).reduce((sum, p) => sum + p.seconds, 0);
  console.log(`  ${'all'.padEnd(width)} ${' '.repeat(used.length * 12)}${accounted.toFixed(1).padStart(7)} of ${totalSeconds.toFixed(1)} s wall`);
}

// ---------------------------------------------------------------------------------------------
// Contenders

interface Contender {
  readonly name: 'mephisto' | 'faust' | 'raw-kafkajs';
  command(settings: ContenderSettings): { file: string; args: string[]; env: Record<string, string>; cwd: string };
  changelogTopic(appId: string): string;
  decodeKey(key: Buffer): string;
  decodeCount(value: Buffer): number;
}

const nodeCommand = (script: string) => (settings: ContenderSettings) => ({
  file: process.execPath,
  args: [
    // one directory per run: the tsx loader thread writes a profile of its own beside the main one
    ...(process.env.PEERS_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(dataDir, 'prof', settings.appId)}`] : []),
    '--import',
    'tsx',
    join(here, 'contenders', script),
  ],
  env: {},
  cwd: root,
});

let faustPython = '';
let faustStore = 'rocksdb://';

const contenders: readonly Contender[] = [
  {
    name: 'mephisto',
    command: nodeCommand('mephisto.ts'),
    changelogTopic: (appId) => `${appId}-${countTable}-changelog`,
    decodeKey: (key) => key.toString('utf8'),
    decodeCount: (value) => Number(value.toString('utf8')),
  },
  {
    name: 'faust',
    command: () => ({
      file: faustPython,
      // uvloop, as Faust's docs suggest for production (`faust -L uvloop worker`); see peers_app.py
      args: ['peers_app.py', '--loop=uvloop', 'worker', '--loglevel=warn', '--without-web'],
      env: { PEERS_STORE: faustStore },
      cwd: join(here, 'faust'),
    }),
    changelogTopic: (appId) => `${appId}-${countTable}-changelog`,
    // Faust's table changelog holds JSON keys and values (its default codecs for a str -> int table)
    decodeKey: (key) => String(JSON.parse(key.toString('utf8'))),
    decodeCount: (value) => Number(JSON.parse(value.toString('utf8'))),
  },
  {
    name: 'raw-kafkajs',
    command: nodeCommand('raw-kafkajs.ts'),
    changelogTopic: (appId) => `${appId}-${countTable}-changelog`,
    decodeKey: (key) => key.toString('utf8'),
    decodeCount: (value) => Number(value.toString('utf8')),
  },
];

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

interface Running {
  readonly child: ChildProcess;
  readonly log: string;
  /** Throws when the process has exited. */
  alive(): void;
  peakRssMB(): number;
  stop(): Promise<void>;
}

function start(contender: Contender, settings: ContenderSettings): Running {
  const { file, args, env, cwd } = contender.command(settings);
  const log = join(dataDir, `${settings.appId}.log`);
  const fd = openSync(log, 'w');
  const child = spawn(file, args, { cwd, env: { ...process.env, ...settingsToEnv(settings), ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  let exited: string | undefined;
  let peak = 0;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const match = /VmHWM:\s+(\d+)\s+kB/.exec(status);
      if (match) peak = Math.max(peak, Number(match[1]) / 1024);
    } catch {
      // exited
    }
  };
  const sampler = setInterval(sample, 500);
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      clearInterval(sampler);
      children.delete(child);
      resolve();
    });
  });
  return {
    child,
    log,
    alive() {
      if (exited) throw new Error(`${contender.name} ${settings.workload} ${exited}; its output is in ${log}`);
    },
    peakRssMB() {
      sample();
      return peak;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timeout = sleep(20_000).then(() => 'timeout');
      if ((await Promise.race([done, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await done;
      }
    },
  };
}

function script(name: string, ...args: string[]): string {
  return execFileSync(join(root, 'scripts', name), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function scriptAsync(name: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(join(root, 'scripts', name), args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (stderr) process.stderr.write(stderr);
      if (error) reject(error);
      else resolve(stdout.trim());
    });
  });
}

function pythonSays(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(faustPython, ['-c', code], { encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
}

function running(name: string): string | undefined {
  try {
    return execFileSync(join(root, 'scripts', name), ['status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Measured {
  eventsPerSec: number;
  correct: boolean;
  rssMB: number;
  note: string;
  p50Ms?: number;
  p99Ms?: number;
}

interface Environment {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly brokers: string;
  readonly registry: string;
  readonly schema: AvroSchemaJSON;
  readonly input: string;
  readonly inputEnds: Map<number, bigint>;
  readonly runId: string;
  readonly stats: ReturnType<typeof clickStats>;
}

async function createTopic(admin: Admin, topic: string, config: Record<string, string> = {}): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
  });
}

function settingsFor(env: Environment, contender: Contender, workload: Workload, suffix = ''): ContenderSettings {
  const appId = `peers-${env.runId}-${contender.name}-${workload}${suffix}`;
  const dir = join(dataDir, 'state', appId);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return {
    workload,
    appId,
    input: env.input,
    output: `${appId}-out`,
    brokers: env.brokers,
    registry: env.registry,
    dataDir: dir,
    partitions,
  };
}

/**
 * Creates the topic the contender writes: the output topic, or the table's changelog (compacted,
 * co-partitioned with the input) so that every contender finds it ready. Pre-creating the
 * changelog also sidesteps a race in mephisto's Kafka transport (reading a just-created topic's
 * offsets before its partitions have a leader: NOT_LEADER_FOR_PARTITION stops the worker).
 */
async function createWrittenTopic(admin: Admin, contender: Contender, settings: ContenderSettings): Promise<string> {
  if (settings.workload === 'stateless') {
    await createTopic(admin, settings.output);
    return settings.output;
  }
  const changelog = contender.changelogTopic(settings.appId);
  await createTopic(admin, changelog, { 'cleanup.policy': 'compact' });
  return changelog;
}

async function throughput(env: Environment, contender: Contender, workload: Workload): Promise<Measured> {
  const run = `${contender.name}/${workload}`;
  phaseMark = performance.now();
  const began = Date.now();
  const settings = settingsFor(env, contender, workload);
  const target = await createWrittenTopic(env.admin, contender, settings);
  const worker = start(contender, settings);
  try {
    const progress = await watchProgress({
      admin: env.admin,
      topic: target,
      alive: () => worker.alive(),
      group: settings.appId,
      startMs: 120_000,
      stallMs: 30_000,
      // Stateless: every kept event written. Count: the group committed the whole input, which
      // every contender does only after its changelog writes were acknowledged (mephisto flushes
      // the changelog before committing, Faust flushes its producer, the raw loop awaits its
      // send), then a short quiet spell to see any write that still trails the commit.
      done: async (written, lastMs) =>
        workload === 'stateless'
          ? written >= env.stats.kept
          : Date.now() - lastMs >= 500 && (await committedToEnd(env.admin, settings.appId, env.input, env.inputEnds)),
    });
    const now = Date.now();
    const assignedMs = progress.assignedMs || now;
    const lastMs = progress.lastMs || now;
    phases.push(
      { run, phase: 'start', seconds: (assignedMs - began) / 1000 },
      { run, phase: 'process', seconds: (lastMs - assignedMs) / 1000 },
      { run, phase: 'finish', seconds: (now - lastMs) / 1000 },
    );
    phaseMark = performance.now();
    const rssMB = worker.peakRssMB();
    // The output is complete: stop the worker while its output is checked, then make sure it wrote
    // nothing more while stopping (a duplicate written on shutdown is wrong output too).
    const stopping = timed(run, 'stop', () => worker.stop());
    // From the group's assignment (the contender starts fetching) to its last write: a contender
    // that writes in bursts (e.g. changelog at commit) is timed as fairly as one that writes per event.
    const seconds = Math.max(0.001, (progress.lastMs - progress.assignedMs) / 1000);
    const eventsPerSec = env.stats.events / seconds;
    const sizeChecked = await topicSize(env.admin, target);
    const verdict = workload === 'stateless' ? await checkVisits(env, target) : await checkCounts(env, contender, target);
    await stopping;
    const sizeAfterStop = await topicSize(env.admin, target);
    lap(run, 'check');
    let correct = progress.finished && verdict.correct;
    let note = progress.finished ? verdict.note : `did not finish (wrote ${progress.written} records, then stalled); ${verdict.note}`;
    if (sizeAfterStop !== sizeChecked) {
      correct = false;
      note += `; wrote ${sizeAfterStop - sizeChecked} more records while stopping`;
    }
    return { eventsPerSec, rssMB, correct, note };
  } finally {
    await worker.stop();
  }
}

async function checkVisits(env: Environment, topic: string): Promise<{ correct: boolean; note: string }> {
  let count = 0;
  let durationMs = 0;
  let malformed = 0;
  await readTopic(env.kafka, topic, (message) => {
    count++;
    try {
      const visit = JSON.parse(message.value?.toString('utf8') ?? '') as PageVisit;
      if (visit.device === 'BOT' || typeof visit.url !== 'string') malformed++;
      durationMs += Math.round(visit.seconds * 1000);
    } catch {
      malformed++;
    }
  });
  const correct = count === env.stats.kept && durationMs === env.stats.keptDurationMs && malformed === 0;
  return {
    correct,
    note: `${count} visits (want ${env.stats.kept}), duration sum ${durationMs} (want ${env.stats.keptDurationMs}), ${malformed} malformed`,
  };
}

async function checkCounts(env: Environment, contender: Contender, topic: string): Promise<{ correct: boolean; note: string }> {
  const latest = new Map<string, number>();
  let records = 0;
  await readTopic(env.kafka, topic, (message) => {
    records++;
    if (message.key && message.value) latest.set(contender.decodeKey(message.key), contender.decodeCount(message.value));
  });
  let wrong = 0;
  for (const [url, want] of env.stats.countsByUrl) if (latest.get(url) !== want) wrong++;
  const extra = [...latest.keys()].filter((url) => !env.stats.countsByUrl.has(url)).length;
  return {
    correct: wrong === 0 && extra === 0,
    note: `${records} changelog records, ${latest.size} urls (want ${env.stats.countsByUrl.size}), ${wrong} wrong counts, ${extra} unexpected keys`,
  };
}

/** Produces at a fixed rate into a fresh input topic and times each event until its output is read back. */
async function latency(env: Environment, contender: Contender, workload: Workload): Promise<{ p50Ms: number; p99Ms: number; seen: number; sent: number }> {
  const run = `${contender.name}/${workload}`;
  phaseMark = performance.now();
  const base = settingsFor(env, contender, workload, '-lat');
  const settings = { ...base, input: `${base.appId}-in` };
  await createTopic(env.admin, settings.input);
  const target = await createWrittenTopic(env.admin, contender, settings);
  const schemaId = await registerClickSchema(env.registry, settings.input, env.schema);
  const write = clickWriter(env.schema);
  const sentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  const click = (url: string): ClickData => ({
    url,
    userId: 'user-latency',
    sessionId: '00000000-0000-4000-a000-000000000000',
    timestamp: Date.now(),
    referrer: null,
    device: 'DESKTOP',
    durationMs: 1000,
  });
  const worker = start(contender, settings);
  const producer = env.kafka.producer({ allowAutoTopicCreation: false });
  const observer = env.kafka.consumer({ groupId: `${settings.appId}-observer`, maxWaitTimeInMs: 50 });
  await producer.connect();
  try {
    const startedAt = Date.now();
    while (!(await env.admin.listTopics()).includes(target)) {
      worker.alive();
      if (Date.now() - startedAt > 120_000) throw new Error(`${contender.name} did not create ${target} within 120 s`);
      await sleep(200);
    }
    await observer.connect();
    await observer.subscribe({ topic: target, fromBeginning: true });
    await observer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          let key: string;
          if (workload === 'stateless') {
            if (!message.value) continue;
            key = (JSON.parse(message.value.toString('utf8')) as PageVisit).url;
          } else {
            if (!message.key) continue;
            key = contender.decodeKey(message.key);
          }
          if (!seenAt.has(key)) seenAt.set(key, now);
        }
      },
    });
    // Warm up until the contender answers, then measure.
    const warmup = Array.from({ length: 200 }, (_, i) => `https://shop.example.com/warmup/${i}`);
    await producer.send({ topic: settings.input, messages: warmup.map((url) => ({ key: url, value: confluentFrame(schemaId, write(click(url))) })) });
    while (!warmup.every((url) => seenAt.has(url))) {
      worker.alive();
      if (Date.now() - startedAt > 180_000) throw new Error(`${contender.name} ${workload} did not process the warm-up events within 180 s`);
      await sleep(20);
    }
    lap(run, 'lat start');
    const perTick = latencyRate / 100;
    const total = latencyRate * latencySeconds;
    const sends: Promise<unknown>[] = [];
    const t0 = Date.now();
    for (let tick = 0, i = 0; i < total; tick++) {
      const wait = t0 + tick * 10 - Date.now();
      if (wait > 0) await sleep(wait);
      const messages = [];
      for (let k = 0; k < perTick && i < total; k++, i++) {
        const url = `https://shop.example.com/latency/${i}`;
        messages.push({ key: url, value: confluentFrame(schemaId, write(click(url))) });
        sentAt.set(url, Date.now());
      }
      sends.push(producer.send({ topic: settings.input, messages, acks: 1 }));
    }
    await Promise.all(sends);
    lap(run, 'lat measure');
    const waitUntil = Date.now() + 30_000;
    while ([...sentAt.keys()].some((url) => !seenAt.has(url)) && Date.now() < waitUntil) {
      worker.alive();
      await sleep(20);
    }
    lap(run, 'lat drain');
    const latencies = [...sentAt].flatMap(([url, sent]) => {
      const seen = seenAt.get(url);
      return seen === undefined ? [] : [seen - sent];
    });
    latencies.sort((a, b) => a - b);
    return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), seen: latencies.length, sent: sentAt.size };
  } finally {
    await Promise.allSettled([timed(run, 'stop', () => worker.stop()), observer.disconnect(), producer.disconnect()]);
    lap(run, 'lat drain');
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function versions(): Promise<Record<string, string>> {
  const pkg = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const pom = readFileSync(join(root, 'scripts', 'kafka', 'pom.xml'), 'utf8');
  const python = JSON.parse(
    await pythonSays(
      'import json, platform, faust, aiokafka, fastavro, uvloop; print(json.dumps({"python": platform.python_version(), ' +
        '"faust-streaming": faust.__version__, "aiokafka": aiokafka.__version__, "fastavro": fastavro.__version__, "uvloop": uvloop.__version__}))',
    ),
  ) as Record<string, string>;
  return {
    node: process.version,
    kafkajs: pkg('kafkajs'),
    avsc: pkg('avsc'),
    kafka: /<kafka.version>(.*)<\/kafka.version>/.exec(pom)?.[1] ?? '?',
    ...python,
  };
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const began = Date.now();
  const chosen = contenders.filter((c) => !flags.only || flags.only.split(',').includes(c.name));
  const chosenWorkloads = allWorkloads.filter((w) => !flags.workloads || flags.workloads.split(',').includes(w));

  const started: string[] = [];
  phaseMark = performance.now();
  const brokers = running('kafka.sh') ?? (started.push('kafka.sh'), script('kafka.sh', 'start'));
  const registry = running('registry.sh') ?? (started.push('registry.sh'), script('registry.sh', 'start'));
  lap('setup', 'services');
  try {
    // Faust's virtual environment (a minute or two to create, a moment to reuse) is provisioned
    // while the input loads.
    const venv = timed('setup', 'faust venv', async () => {
      faustPython = await scriptAsync('faust-venv.sh');
      faustStore = (await pythonSays('import importlib.util; print(importlib.util.find_spec("rocksdict") is not None)')) === 'True' ? 'rocksdb://' : 'memory://';
      return versions();
    });
    venv.catch(() => {}); // awaited below, after the load
    const kafka = new Kafka({ clientId: 'mephisto-bench-peers', brokers: [brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const runId = `${Date.now().toString(36)}`;
    const schema = JSON.parse(readFileSync(join(root, 'schemas', 'com', 'acme', 'clicks', 'Click.avsc'), 'utf8')) as AvroSchemaJSON;
    const stats = clickStats(spec);
    const input = `peers-${runId}-clicks`;
    const loaded = await loadClicks({ brokers: [brokers], registryUrl: registry, topic: input, partitions, schema, spec });
    const versionsUsed = await venv;
    console.log(`peers: broker ${brokers}, registry ${registry}, Faust store ${faustStore}`);
    console.log(`peers: ${Object.entries(versionsUsed).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`peers: loaded ${loaded.events} events (${stats.countsByUrl.size} urls, ${stats.kept} not bots) into ${input} (${partitions} partitions) in ${(loaded.millis / 1000).toFixed(1)} s`);
    const env: Environment = { kafka, admin, brokers, registry, schema, input, inputEnds: await topicEnd(admin, input), runId, stats };
    lap('setup', 'load input');

    const rows: BenchRow[] = [];
    const failures: string[] = [];
    for (const workload of chosenWorkloads) {
      for (const contender of chosen) {
        const name = `${contender.name}/${workload}`;
        let measured: Measured;
        try {
          measured = await throughput(env, contender, workload);
          if (!short) Object.assign(measured, await latency(env, contender, workload));
        } catch (error) {
          failures.push(`${name}: ${(error as Error).message}`);
          console.log(`peers: ${name} FAILED: ${(error as Error).message}`);
          continue;
        }
        if (!measured.correct) failures.push(`${name}: wrong output: ${measured.note}`);
        console.log(
          `peers: ${name.padEnd(22)} ${Math.round(measured.eventsPerSec).toString().padStart(8)} events/s` +
            `  p50 ${measured.p50Ms?.toFixed(1) ?? '-'} ms  p99 ${measured.p99Ms?.toFixed(1) ?? '-'} ms` +
            `  rss ${measured.rssMB.toFixed(0)} MiB  ${measured.correct ? 'correct' : 'WRONG'}: ${measured.note}`,
        );
        rows.push(
          row('peers', name, 'eventsPerSec', measured.eventsPerSec, 'events/s'),
          row('peers', name, 'rssMB', measured.rssMB, 'MiB'),
          row('peers', name, 'correct', measured.correct ? 1 : 0, 'bool'),
        );
        if (measured.p50Ms !== undefined) rows.push(row('peers', name, 'p50Ms', measured.p50Ms, 'ms'));
        if (measured.p99Ms !== undefined) rows.push(row('peers', name, 'p99Ms', measured.p99Ms, 'ms'));
      }
    }
    phaseMark = performance.now();
    // leave the broker as we found it (it may be a shared one): every topic of this run has its prefix
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(`peers-${runId}-`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours }).catch((error: unknown) => console.log(`peers: could not delete this run's topics: ${(error as Error).message}`));
    await admin.disconnect();
    rmSync(join(dataDir, 'state'), { recursive: true, force: true });
    lap('setup', 'cleanup');

    const minutes = (Date.now() - began) / 60_000;
    console.log(`peers: done in ${minutes.toFixed(1)} min`);
    if (!short) {
      const path = writeResults('peers', rows);
      const subtitle = `${events.toLocaleString('en-US')} Avro clicks, ${partitions} partitions, one worker each; 2-core shared machine; ${new Date().toISOString().slice(0, 10)}; Kafka ${versionsUsed.kafka}, Node ${versionsUsed.node}, faust-streaming ${versionsUsed['faust-streaming']} (${faustStore})`;
      writeFileSync(join(resultsDir, 'peers.svg'), renderChart(rows, chosen.map((c) => c.name), chosenWorkloads, subtitle));
      console.log(`peers: wrote ${path} and ${join(resultsDir, 'peers.svg')}`);
      printRatios(rows, chosenWorkloads);
    }
    printPhases((Date.now() - began) / 1000);
    if (failures.length > 0) {
      console.log(`peers: ${failures.length} failed:\n  ${failures.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      console.log(`peers: ${chosen.length * chosenWorkloads.length} contender runs completed with correct output`);
    }
  } finally {
    for (const service of started.reverse()) script(service, 'stop');
  }
}

function printRatios(rows: readonly BenchRow[], workloads: readonly Workload[]): void {
  const get = (c: string, w: string, m: string) => rows.find((r) => r.case === `${c}/${w}` && r.metric === m)?.value;
  for (const workload of workloads) {
    const m = get('mephisto', workload, 'eventsPerSec');
    const f = get('faust', workload, 'eventsPerSec');
    const r = get('raw-kafkajs', workload, 'eventsPerSec');
    const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : 'n/a');
    console.log(`peers: ${workload}: mephisto/faust ${ratio(m, f)}, mephisto/raw-kafkajs ${ratio(m, r)}`);
  }
}

await main();
