/**
 * The clickstream app: clicks and orders in, page views and order summaries out. Built on the
 * generated models and topic bindings (`generated/`, from `schemas/`), so every handler below is
 * typed without a single annotation.
 *
 * Agents:
 *  - `pageViews`: drops bot clicks, re-keys the rest by URL through a repartition topic
 *    (`groupBy`), counts views per URL and emits the running count to the `page-views` topic
 *    (keyed by URL);
 *  - `userActivity`: counts each user's clicks (clicks are keyed by user id already);
 *  - `summarizeOrders`: enriches each order with its customer's click count and emits an
 *    `OrderSummary` to the `order-summaries` topic.
 *
 * The counts live in plain Maps here; a table (src/tables) is the durable way to keep them.
 *
 * By default it runs on the embedded broker and the embedded schema registry: the four value
 * schemas are registered (TopicNameStrategy subjects) and every value goes in the Confluent wire
 * format, as on Kafka. The environment points it elsewhere (the Kafka suite runs it so,
 * test/kafka/demo.test.ts):
 *  - MEPHISTO_BROKER: e.g. `kafka://127.0.0.1:9092`; MEPHISTO_REGISTRY: a Confluent-compatible
 *    registry URL (on Kafka without it, values are plain Avro);
 *  - DEMO_APP_ID (default `clickstream`): the app id, hence its consumer group and internal topics;
 *  - DEMO_TOPIC_PREFIX (default none): prefixes the four topic names, for a run of its own on a
 *    shared broker.
 */
import { App } from '../../src/index.js';
import { Decimal } from '../../src/avro/index.js';
import { OrderSummary, PageViews } from '../../generated/index.js';
import { topics } from '../../generated/topics.js';
import { defineTopic, type TopicBinding } from '../../src/serde/index.js';

const topicPrefix = process.env.DEMO_TOPIC_PREFIX ?? '';
const named = <TKey, TValue>(binding: TopicBinding<TKey, TValue>): TopicBinding<TKey, TValue> =>
  topicPrefix === '' ? binding : defineTopic({ ...binding, name: `${topicPrefix}${binding.name}` });

const broker = process.env.MEPHISTO_BROKER || 'memory://clickstream-demo';
/** The registry the demo's schemas go to: the environment's, else the embedded one on `memory://`. */
export const registryUrl = process.env.MEPHISTO_REGISTRY || (broker.startsWith('memory://') ? 'memory://clickstream-demo' : undefined);

export const app = new App(process.env.DEMO_APP_ID || 'clickstream', { broker, registry: registryUrl, topicPartitions: 4 });

export const clicks = app.topic(named(topics.clicks));
export const orders = app.topic(named(topics.orders));
export const pageViewsTopic = app.topic(named(topics.pageViews));
export const orderSummaries = app.topic(named(topics.orderSummaries));

/** What the agents have seen; the summary reads it. */
export const stats = {
  clicksIn: 0,
  botClicks: 0,
  viewsCounted: 0,
  userClicks: 0,
  ordersIn: 0,
  summariesSent: 0,
  viewsByUrl: new Map<string, number>(),
  clicksByUser: new Map<string, number>(),
  spendByCustomer: new Map<string, Decimal>(),
};

export const pageViews = app.agent(
  clicks,
  async function* pageViews(stream) {
    const humans = stream.filter((click) => {
      stats.clicksIn++;
      if (click.device !== 'BOT') return true;
      stats.botClicks++;
      return false;
    });
    for await (const click of humans.groupBy((c) => c.url, { name: 'by-url' })) {
      const views = (stats.viewsByUrl.get(click.url) ?? 0) + 1;
      stats.viewsByUrl.set(click.url, views);
      stats.viewsCounted++;
      yield new PageViews({ url: click.url, views });
    }
  },
  // page-views is compacted (the latest count per url), so its records need the url as key;
  // a topic sink sends yields without one. A send failure fails the next commit.
  { sink: [(views: PageViews) => void pageViewsTopic.send({ key: views.url, value: views })] },
);

export const userActivity = app.agent(clicks, async function userActivity(stream) {
  for await (const click of stream) {
    stats.clicksByUser.set(click.userId, (stats.clicksByUser.get(click.userId) ?? 0) + 1);
    stats.userClicks++;
  }
});

export const summarizeOrders = app.agent(
  orders,
  async function* summarizeOrders(stream) {
    const counted = stream.map((order) => {
      stats.ordersIn++;
      return order;
    });
    for await (const order of counted.filter((o) => o.status !== 'CANCELLED')) {
      stats.summariesSent++;
      const spent = stats.spendByCustomer.get(order.customerId) ?? new Decimal(0);
      stats.spendByCustomer.set(order.customerId, spent.plus(order.total));
      yield new OrderSummary({
        orderId: order.orderId,
        customerId: order.customerId,
        total: order.total,
        itemCount: order.items.reduce((n, item) => n + item.quantity, 0),
        clicksBeforeOrder: stats.clicksByUser.get(order.customerId) ?? 0,
        createdAt: order.createdAt,
      });
    }
  },
  { sink: [orderSummaries] },
);
