// temporary profiling driver (not committed)
import { randomUUID } from 'node:crypto';
import { App } from '../src/app/index.js';
import { silentLogger } from '../src/logging.js';
import { codecs, defineTopic } from '../src/serde/index.js';
import { MemoryBroker } from '../src/transport/memory/index.js';
import { Click } from '../generated/com/acme/clicks/Click.js';
import { PageViews } from '../generated/com/acme/analytics/PageViews.js';
import { clicks, pageViews } from '../generated/topics.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = new Session(); session.connect(); await session.post('Profiler.enable');
const PROF = process.env.PROF;
const N = Number(process.env.N ?? 1_000_000);
const CASE = process.env.CASE ?? 'stateless';
const DEVICES = ['DESKTOP', 'MOBILE', 'TABLET', 'BOT'] as const;
let seed = 42;
const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
const keys: Buffer[] = [], values: Buffer[] = [];
for (let i = 0; i < N; i++) {
  const user = `user-${next() % 5000}`;
  keys.push(Buffer.from(user));
  values.push(Click.type.toBuffer(new Click({ url: `https://shop.example/p/${next() % 500}`, userId: user, sessionId: '9b2f7c1e-3a4d-4e8f-9c0b-1d2e3f4a5b6c', timestamp: new Date(1_700_000_000_000 + i), device: DEVICES[next() % 4]!, durationMs: next() % 30_000 })));
}
for (let run = 0; run < Number(process.env.RUNS ?? 3); run++) {
  const url = `memory://p-${randomUUID()}`;
  const broker = MemoryBroker.forUrl(url);
  const src = CASE === 'identity' ? 'raw-in' : clicks.name;
  const out = CASE === 'identity' ? 'raw-out' : pageViews.name;
  broker.createTopic({ topic: src, partitions: 4 });
  broker.append(src, values.map((value, i) => ({ key: keys[i]!, value })));
  const app = new App('bench', { broker: url, logger: silentLogger, commitInterval: 1000, env: {} });
  let expected = N;
  if (CASE === 'identity') {
    const source = app.topic(defineTopic({ name: 'raw-in', key: codecs.bytes, value: codecs.bytes, partitions: 4 }));
    const sink = app.topic(defineTopic({ name: 'raw-out', key: codecs.bytes, value: codecs.bytes, partitions: 4 }));
    app.agent(source, async function* id(stream) { for await (const b of stream) yield b; }, { sink: [sink] });
  } else {
    expected = values.filter((v) => Click.decode(v).device !== 'BOT').length;
    const source = app.topic(clicks); const sink = app.topic(pageViews);
    app.agent(source, async function* views(stream) {
      for await (const view of stream.filter((c) => c.device !== 'BOT').map((c) => new PageViews({ url: c.url, views: 1 }))) yield view;
    }, { sink: [sink] });
  }
  const count = () => { let n = 0; for (const log of broker.topics.get(out)?.logs ?? []) n += log.end; return n; };
  if (PROF && run === 1) await session.post('Profiler.start');
  const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage();
  await app.start();
  while (count() < expected) await new Promise((r) => setImmediate(r));
  const s = Number(process.hrtime.bigint() - t0) / 1e9; const c = process.cpuUsage(c0); const cs = (c.user + c.system) / 1e6;
  if (PROF && run === 1) { const { profile } = await session.post('Profiler.stop'); writeFileSync(PROF, JSON.stringify(profile)); }
  await app.stop(); MemoryBroker.drop(url);
  console.log(`${CASE} run ${run}: wall ${Math.round(N / s)} events/s, cpu ${Math.round(N / cs)} events/cpu-s`);
}
