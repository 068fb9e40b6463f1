// Type tests, checked by `tsc --noEmit` (part of `npm test`): what must compile does, and each
// misuse marked `@ts-expect-error` must fail to compile, or tsc reports the unused directive.
import { expectTypeOf } from 'vitest';
import { App, type Event, type InferAgentOutput, type Stream } from '../../src/index.js';
import { codecs, defineTopic } from '../../src/serde/index.js';

interface Order {
  readonly id: string;
  readonly amount: number;
  readonly lines: readonly { sku: string; qty: number }[];
}
interface Refund {
  readonly orderId: string;
  readonly amount: number;
}

const orders = defineTopic({ name: 'orders', key: codecs.string, value: codecs.json<Order>() });
const refunds = defineTopic({ name: 'refunds', key: codecs.avroSchema<number>('long'), value: codecs.json<Refund>() });
const amounts = defineTopic({ name: 'amounts', key: codecs.string, value: codecs.json<number>() });

const app = new App('types');
const orderTopic = app.topic(orders);
const refundTopic = app.topic(refunds);
const amountTopic = app.topic(amounts);

// The stream element type is inferred from the binding, with no annotation.
app.agent(orderTopic, async (stream) => {
  expectTypeOf(stream).toEqualTypeOf<Stream<Order, string>>();
  for await (const order of stream) expectTypeOf(order).toEqualTypeOf<Order>();
  // Operator chains keep their types.
  expectTypeOf(stream.filter((o) => o.amount > 10).map((o) => o.amount)).toEqualTypeOf<Stream<number, string>>();
  expectTypeOf(stream.map(async (o) => o.lines.length)).toEqualTypeOf<Stream<number, string>>();
  expectTypeOf(stream.items()).toEqualTypeOf<Stream<[string, Order], string>>();
  expectTypeOf(stream.events()).toEqualTypeOf<Stream<Event<string, Order>, string>>();
  expectTypeOf(stream.enumerate()).toEqualTypeOf<Stream<[number, Order], string>>();
  expectTypeOf(stream.take(10, { within: 1000 })).toEqualTypeOf<Stream<Order[], string>>();
  expectTypeOf(stream.groupBy((o) => o.id, { name: 'by-id' })).toEqualTypeOf<Stream<Order, string>>();
  expectTypeOf(stream.groupBy((o) => o.amount, { name: 'by-amount', key: codecs.json<number>() })).toEqualTypeOf<Stream<Order, number>>();
  expectTypeOf(stream.through(orderTopic)).toEqualTypeOf<Stream<Order, string>>();
  const isBig = (o: Order): o is Order & { big: true } => o.amount > 1000;
  expectTypeOf(stream.filter(isBig)).toEqualTypeOf<Stream<Order & { big: true }, string>>();
  // @ts-expect-error: a map's result has no `id`
  stream.map((o) => o.amount).filter((n) => n.id === 'x');
  // @ts-expect-error: through() a topic of another model
  stream.through(refundTopic);
  // @ts-expect-error: groupBy with a non-string key needs a key codec
  stream.groupBy((o) => o.amount, { name: 'by-amount' });
});

// Sending accepts only the binding's types.
void orderTopic.send({ key: 'o-1', value: { id: 'o-1', amount: 3, lines: [] } });
void orderTopic.send({ value: { id: 'o-1', amount: 3, lines: [] } });
void refundTopic.send({ key: 42, value: { orderId: 'o-1', amount: 3 } });
// @ts-expect-error: wrong model
void orderTopic.send({ key: 'o-1', value: { orderId: 'o-1', amount: 3 } });
// @ts-expect-error: missing field
void orderTopic.send({ key: 'o-1', value: { id: 'o-1', amount: 3 } });
// @ts-expect-error: wrong key type
void orderTopic.send({ key: 7, value: { id: 'o-1', amount: 3, lines: [] } });
// @ts-expect-error: wrong key type (the refunds key is a long)
void refundTopic.send({ key: 'x', value: { orderId: 'o-1', amount: 3 } });
// @ts-expect-error: wrong field type
void orderTopic.send({ key: 'o-1', value: { id: 'o-1', amount: '3', lines: [] } });

// agent.ask returns the handler's yield type, inferred.
const totals = app.agent(
  orderTopic,
  async function* total(stream) {
    for await (const order of stream) yield order.amount * 2;
  },
  { sink: [amountTopic] },
);
expectTypeOf(totals.ask({ id: 'o', amount: 1, lines: [] })).toEqualTypeOf<Promise<number>>();
expectTypeOf<InferAgentOutput<typeof totals>>().toEqualTypeOf<number>();
// @ts-expect-error: ask takes the agent's input type
void totals.ask({ orderId: 'o', amount: 1 });
// @ts-expect-error: agent.send takes the source's key type too
void totals.send({ key: 1, value: { id: 'o', amount: 1, lines: [] } });

// The sink takes numbers, the handler yields strings: no overload matches.
// @ts-expect-error: TS2769 is reported on the call
app.agent(orderTopic, async function* labels(stream) {
  for await (const order of stream) yield order.id;
}, { sink: [amountTopic] });

// Channels are typed too, and usable as sinks.
const words = app.channel<string>();
const lengths = app.agent(words, async function* measure(stream) {
  expectTypeOf(stream).toEqualTypeOf<Stream<string, null>>();
  for await (const w of stream) yield w.length;
});
expectTypeOf(lengths.ask('abc')).toEqualTypeOf<Promise<number>>();
// @ts-expect-error: a channel of strings takes strings
void words.send({ value: 3 });

// An agent that never yields has output `never`.
const sinkless = app.agent(orderTopic, async (stream) => {
  for await (const _ of stream) {
    // nothing
  }
});
expectTypeOf<InferAgentOutput<typeof sinkless>>().toEqualTypeOf<never>();

// app.stream processors keep the value type.
app.stream(amountTopic, { processors: [(n) => n + 1, async (n) => n * 2] });
// @ts-expect-error: a processor must return the same type
app.stream(amountTopic, { processors: [(n) => String(n)] });
