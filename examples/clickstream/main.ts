/**
 * `npm start`: the clickstream demo on the embedded broker and schema registry. Produces deterministic clicks and
 * orders, runs the agents of ./app.ts over them (filter, groupBy through a repartition topic,
 * enrichment), prints a summary and exits 0. No Kafka, no Java, no network.
 *
 * The throughput covers the timed window only: the sends of the generated events, every agent's
 * processing (each click is read by two agents, each human click again after the repartition)
 * and the final commit. The CPU time of that window is printed beside it: on a busy machine the
 * process waits for a core, and wall time exceeds CPU time by far.
 *
 * The same on Kafka: MEPHISTO_BROKER=kafka://host:port MEPHISTO_REGISTRY=URL (see ./app.ts).
 */
import { openRegistry } from '../../src/registry/index.js';
import { app, clicks, orders, orderSummaries, pageViewsTopic, registryUrl, stats } from './app.js';
import { demoTraffic, generateTraffic } from './producer.js';

const CLICKS = Number(process.env.DEMO_CLICKS ?? 200_000);

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

/** Seconds of wall time since `from` (a `process.hrtime.bigint()`). */
const secondsSince = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

/** Seconds of CPU time (user and system, every thread: GC helpers included) since `from`. */
const cpuSecondsSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

async function main(): Promise<number> {
  // Before this line: node, tsx (transpiling on the fly) and the imports.
  const startup = process.uptime();
  let phase = process.hrtime.bigint();
  const traffic = generateTraffic({ ...demoTraffic, clicks: CLICKS });
  const generating = secondsSince(phase);

  // The timed window: from the first send to the commit after the last event was processed.
  const started = process.hrtime.bigint();
  const cpuAtStart = process.cpuUsage();
  await app.start();
  // Clicks and orders go out in time order; `send` batches them (one promise per batch).
  let o = 0;
  for (const click of traffic.clicks) {
    void clicks.send(click);
    while (o < traffic.orders.length && traffic.orders[o]!.value.createdAt <= click.value.timestamp) void orders.send(traffic.orders[o++]!);
  }
  while (o < traffic.orders.length) void orders.send(traffic.orders[o++]!);
  await app.internals.flush();

  const humanClicks = traffic.clicks.filter((c) => c.value.device !== 'BOT').length;
  await waitUntil(
    () => stats.clicksIn === traffic.clicks.length && stats.userClicks === traffic.clicks.length && stats.viewsCounted === humanClicks && stats.ordersIn === traffic.orders.length,
  );
  await app.commit();
  const seconds = secondsSince(started);
  const cpuSeconds = cpuSecondsSince(cpuAtStart);
  phase = process.hrtime.bigint();
  await app.stop();
  const stopping = secondsSince(phase);

  const total = traffic.clicks.length + traffic.orders.length;
  // Every record an agent took in (clicks twice: pageViews and userActivity both consume them;
  // human clicks again from the by-url repartition topic) and every record sent to a topic.
  const consumed = stats.clicksIn + stats.userClicks + stats.viewsCounted + stats.ordersIn;
  const produced = total + (stats.clicksIn - stats.botClicks) + stats.viewsCounted + stats.summariesSent;
  const perSecond = (n: number) => Math.round(n / seconds).toLocaleString('en-US');
  const topPages = [...stats.viewsByUrl].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
  const topSpenders = [...stats.spendByCustomer].sort((a, b) => b[1].comparedTo(a[1]) || a[0].localeCompare(b[0])).slice(0, 5);
  const summaries = stats.summariesSent;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
  const broker = process.env.MEPHISTO_BROKER || 'memory://';
  const embedded = broker.startsWith('memory://');
  const on = `${embedded ? 'embedded broker' : broker}${registryUrl === undefined ? '' : registryUrl.startsWith('memory://') ? ' and schema registry' : ', schema registry'}`;
  console.log(`\nmephisto clickstream demo (${on}, generated Avro models)\n`);
  line('events produced and processed', `${total.toLocaleString('en-US')} (${traffic.clicks.length.toLocaleString('en-US')} clicks, ${traffic.orders.length.toLocaleString('en-US')} orders)`);
  line('elapsed', `${seconds.toFixed(2)} s, from the first send to the last commit`);
  line('throughput', `${perSecond(total)} events/s through the whole pipeline (producing included)`);
  line('records consumed by agents', `${consumed.toLocaleString('en-US')} (${perSecond(consumed)}/s: 2 agents read each click, 1 each human click again after the repartition)`);
  line('records sent to topics', `${produced.toLocaleString('en-US')} (${perSecond(produced)}/s: the events, the repartition topic, page-views, order-summaries)`);
  // On a busy machine the process waits for a core: wall time then exceeds CPU time by far.
  line('CPU time in that window', `${cpuSeconds.toFixed(2)} s, all threads (${Math.round((100 * cpuSeconds) / seconds)}% of the elapsed time)`);
  line('bot clicks filtered out', stats.botClicks.toLocaleString('en-US'));
  line('page-view updates sent', `${stats.viewsCounted.toLocaleString('en-US')} to ${pageViewsTopic.name} (via the by-url repartition topic)`);
  if (registryUrl !== undefined) {
    const registry = openRegistry(registryUrl);
    const subjects = (await registry.listSubjects()).filter((subject) => [clicks, orders, pageViewsTopic, orderSummaries].some((t) => subject === `${t.name}-value`));
    line('value schemas in the registry', `${subjects.length} (${subjects.sort().join(', ')}); values in the Confluent wire format`);
    if (registryUrl.startsWith('http')) await registry.close();
  }
  line('order summaries sent', `${summaries.toLocaleString('en-US')} to ${orderSummaries.name} (cancelled orders skipped)`);
  console.log('\n  Top 5 pages by views');
  for (const [i, [url, views]] of topPages.entries()) console.log(`   ${i + 1}. ${url.padEnd(44)} ${views.toLocaleString('en-US').padStart(8)} views`);
  console.log('\n  Top 5 customers by spend');
  for (const [i, [customer, spend]] of topSpenders.entries()) {
    console.log(`   ${i + 1}. ${customer.padEnd(12)} EUR ${spend.toFixed(2).padStart(10)}   (${(stats.clicksByUser.get(customer) ?? 0).toLocaleString('en-US')} clicks)`);
  }
  console.log(`\n  Wall time outside the window: start-up ${startup.toFixed(2)} s (node, tsx, imports), generating the traffic ${generating.toFixed(2)} s, stop ${stopping.toFixed(2)} s`);
  console.log('');
  return 0;
}

process.exitCode = await main();
