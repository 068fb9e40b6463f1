/**
 * The clickstream app: clicks and orders in, page views and order summaries out. Built on the
 * generated models and topic bindings (`generated/`, from `schemas/`), so every handler below is
 * typed without a single annotation.
 *
 * Agents:
 *  - `pageViews`: drops bot clicks, re-keys the rest by URL through a repartition topic
 *    (`groupBy`), counts views per URL and emits the running count to the `page-views` topic;
 *  - `userActivity`: counts each user's clicks (clicks are keyed by user id already);
 *  - `summarizeOrders`: enriches each order with its customer's click count and emits an
 *    `OrderSummary` to the `order-summaries` topic.
 *
 * The counts live in plain Maps here; a table (src/tables) is the durable way to keep them.
 */
import { App } from '../../src/index.js';
import { Decimal } from '../../src/avro/index.js';
import { OrderSummary, PageViews } from '../../generated/index.js';
import { topics } from '../../generated/topics.js';

export const app = new App('clickstream', { broker: process.env.MEPHISTO_BROKER ?? 'memory://clickstream-demo', topicPartitions: 4 });

export const clicks = app.topic(topics.clicks);
export const orders = app.topic(topics.orders);
export const pageViewsTopic = app.topic(topics.pageViews);
export const orderSummaries = app.topic(topics.orderSummaries);

/** What the agents have seen; the summary reads it. */
export const stats = {
  clicksIn: 0,
  botClicks: 0,
  viewsCounted: 0,
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
  { sink: [pageViewsTopic] },
);

export const userActivity = app.agent(clicks, async function userActivity(stream) {
  for await (const click of stream) {
    stats.clicksByUser.set(click.userId, (stats.clicksByUser.get(click.userId) ?? 0) + 1);
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
