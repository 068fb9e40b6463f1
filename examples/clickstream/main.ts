/**
 * `npm start`: the clickstream demo on the embedded broker. Produces deterministic clicks and
 * orders, runs the agents of ./app.ts over them (filter, groupBy through a repartition topic,
 * enrichment), prints a summary and exits 0. No Kafka, no Java, no network.
 *
 * The same on Kafka: MEPHISTO_BROKER=kafka://host:port MEPHISTO_REGISTRY=URL (see ./app.ts).
 */
import { app, clicks, orders, orderSummaries, pageViewsTopic, stats } from './app.js';
import { demoTraffic, generateTraffic } from './producer.js';

const CLICKS = Number(process.env.DEMO_CLICKS ?? 200_000);

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

async function main(): Promise<number> {
  const traffic = generateTraffic({ ...demoTraffic, clicks: CLICKS });
  const started = process.hrtime.bigint();
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
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await app.stop();

  const total = traffic.clicks.length + traffic.orders.length;
  const topPages = [...stats.viewsByUrl].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
  const topSpenders = [...stats.spendByCustomer].sort((a, b) => b[1].comparedTo(a[1]) || a[0].localeCompare(b[0])).slice(0, 5);
  const summaries = stats.summariesSent;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
  const broker = process.env.MEPHISTO_BROKER || 'memory://';
  const on = broker.startsWith('memory://') ? 'embedded broker' : `${broker}${process.env.MEPHISTO_REGISTRY ? ', schema registry' : ''}`;
  console.log(`\nmephisto clickstream demo (${on}, generated Avro models)\n`);
  line('events produced and processed', `${total.toLocaleString('en-US')} (${traffic.clicks.length.toLocaleString('en-US')} clicks, ${traffic.orders.length.toLocaleString('en-US')} orders)`);
  line('elapsed', `${seconds.toFixed(2)} s`);
  line('throughput', `${Math.round(total / seconds).toLocaleString('en-US')} events/s (produce, consume, repartition, send)`);
  line('bot clicks filtered out', stats.botClicks.toLocaleString('en-US'));
  line('page-view updates sent', `${stats.viewsCounted.toLocaleString('en-US')} to ${pageViewsTopic.name} (via the by-url repartition topic)`);
  line('order summaries sent', `${summaries.toLocaleString('en-US')} to ${orderSummaries.name} (cancelled orders skipped)`);
  console.log('\n  Top 5 pages by views');
  for (const [i, [url, views]] of topPages.entries()) console.log(`   ${i + 1}. ${url.padEnd(44)} ${views.toLocaleString('en-US').padStart(8)} views`);
  console.log('\n  Top 5 customers by spend');
  for (const [i, [customer, spend]] of topSpenders.entries()) {
    console.log(`   ${i + 1}. ${customer.padEnd(12)} EUR ${spend.toFixed(2).padStart(10)}   (${(stats.clicksByUser.get(customer) ?? 0).toLocaleString('en-US')} clicks)`);
  }
  console.log('');
  return 0;
}

process.exitCode = await main();
