/**
 * The clickstream demo (`npm start`, examples/clickstream) end to end on the real broker and the
 * real registry: the demo's own entry point in a child process, pointed at Kafka by environment
 * variables, on topics of its own. Its printed summary is checked against figures computed here,
 * independently, from the generated input; the output topics against the same figures.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/avro/index.js';
import { demoTraffic, generateTraffic } from '../../examples/clickstream/producer.js';
import { kafkaUrl, rawKafka, registryUrl, uniqueName } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLICKS = 3_000;

/** What a correct run computes from the input, by hand. */
function expectedSummary() {
  const traffic = generateTraffic({ ...demoTraffic, clicks: CLICKS });
  const humans = traffic.clicks.filter((c) => c.value.device !== 'BOT');
  const views = new Map<string, number>();
  for (const c of humans) views.set(c.value.url, (views.get(c.value.url) ?? 0) + 1);
  const clicksByUser = new Map<string, number>();
  for (const c of traffic.clicks) clicksByUser.set(c.value.userId, (clicksByUser.get(c.value.userId) ?? 0) + 1);
  const kept = traffic.orders.filter((o) => o.value.status !== 'CANCELLED');
  const spend = new Map<string, Decimal>();
  for (const o of kept) spend.set(o.value.customerId, (spend.get(o.value.customerId) ?? new Decimal(0)).plus(o.value.total));
  return {
    clicks: traffic.clicks.length,
    orders: traffic.orders.length,
    bots: traffic.clicks.length - humans.length,
    humanClicks: humans.length,
    summaries: kept.length,
    topPages: [...views].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5),
    topSpenders: [...spend]
      .sort((a, b) => b[1].comparedTo(a[1]) || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([customer, total]) => [customer, total.toFixed(2), clicksByUser.get(customer) ?? 0] as const),
  };
}

const figure = (n: number) => n.toLocaleString('en-US');

async function recordsIn(topic: string): Promise<{ partitions: number; records: number }> {
  const admin = rawKafka('demo-test').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return { partitions: offsets.length, records: offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0) };
  } finally {
    await admin.disconnect();
  }
}

describe('the clickstream demo on Kafka', () => {
  it('runs the demo pipeline end to end on the real broker and registry; the summary matches the input', async () => {
    const appId = uniqueName('clickstream');
    const prefix = `${uniqueName('demo')}-`;
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/clickstream/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        MEPHISTO_BROKER: kafkaUrl,
        MEPHISTO_REGISTRY: registryUrl,
        DEMO_APP_ID: appId,
        DEMO_TOPIC_PREFIX: prefix,
        DEMO_CLICKS: String(CLICKS),
        MEPHISTO_LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 110_000,
    });
    const out = run.stdout;
    const want = expectedSummary();

    expect(out).toContain(`mephisto clickstream demo (${kafkaUrl}, schema registry, generated Avro models)`);
    expect(out).toMatch(new RegExp(`events produced and processed\\s+${figure(want.clicks + want.orders)} \\(${figure(want.clicks)} clicks, ${figure(want.orders)} orders\\)`));
    expect(out).toMatch(new RegExp(`bot clicks filtered out\\s+${figure(want.bots)}\\n`));
    expect(out).toMatch(new RegExp(`page-view updates sent\\s+${figure(want.humanClicks)} to ${prefix}page-views `));
    expect(out).toMatch(new RegExp(`order summaries sent\\s+${figure(want.summaries)} to ${prefix}order-summaries `));
    const pages = [...out.matchAll(/^\s+\d\. (https:\S+)\s+([\d,]+) views$/gm)].map((m) => [m[1], Number(m[2]!.replace(/,/g, ''))]);
    expect(pages).toEqual(want.topPages);
    const spenders = [...out.matchAll(/^\s+\d\. (user-\d+)\s+EUR\s+([\d.]+)\s+\(([\d,]+) clicks\)$/gm)].map((m) => [m[1], m[2], Number(m[3]!.replace(/,/g, ''))]);
    expect(spenders).toEqual(want.topSpenders);
    expect(want.bots).toBeGreaterThan(0);
    expect(want.summaries).toBeLessThan(want.orders);

    // What went through Kafka: one page-view update per human click, re-keyed through a
    // repartition topic with the partitions of clicks (4), one summary per kept order.
    expect(await recordsIn(`${prefix}page-views`)).toEqual({ partitions: 4, records: want.humanClicks });
    expect(await recordsIn(`${appId}-pageViews-by-url-repartition`)).toEqual({ partitions: 4, records: want.humanClicks });
    expect(await recordsIn(`${prefix}order-summaries`)).toEqual({ partitions: 4, records: want.summaries });
    expect(await recordsIn(`${prefix}clicks`)).toEqual({ partitions: 4, records: want.clicks });
    // The values went through the registry (Confluent wire format, TopicNameStrategy subjects).
    const subjects = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
    expect(subjects).toEqual(expect.arrayContaining([`${prefix}clicks-value`, `${prefix}page-views-value`, `${prefix}order-summaries-value`]));
  });
});
