import { describe, expect, expectTypeOf, it } from 'vitest';
import type { InferKey, InferValue } from 'mephisto';
import { Decimal } from 'mephisto/avro';
import { Address, Click, Device, LineItem, Order, OrderSummary, PageViews, models, topics } from '../../generated/index.js';
import { Celsius } from './generated-fixtures/number/spec/misc/Celsius.js';
import { Fahrenheit } from './generated-fixtures/number/spec/misc/Fahrenheit.js';
import { Circle } from './generated-fixtures/number/spec/unions/Circle.js';
import { Square } from './generated-fixtures/number/spec/unions/Square.js';
import type { Unions } from './generated-fixtures/number/spec/unions/Unions.js';
import type { Primitives as BigintPrimitives } from './generated-fixtures/bigint/spec/primitives/Primitives.js';
import { trees } from './generated-fixtures/number/topics.js';

// These are compile-time tests: `tsc --noEmit` (part of `npm test`) fails if a `@ts-expect-error`
// line compiles, or if an `expectTypeOf` does not hold. The `it` bodies also run, so that the
// values used are real.

const address = new Address({ street: 's', city: 'c', postalCode: 'p', country: 'FR' });
const base = {
  orderId: 'o',
  customerId: 'c',
  items: [new LineItem({ sku: 'a', quantity: 1, unitPrice: new Decimal('1.00') })],
  total: new Decimal('1.00'),
  currency: Buffer.from('EUR'),
  shippingAddress: address,
  createdAt: new Date(0),
};

describe('type safety of generated models', () => {
  it('a wrong field type, a missing required field and an unknown enum symbol do not compile', () => {
    // @ts-expect-error quantity is an int (number), not a string
    new LineItem({ sku: 'a', quantity: '1', unitPrice: new Decimal(1) });
    // @ts-expect-error customerId is required (no default)
    new Order({ ...base, customerId: undefined as never as undefined });
    // @ts-expect-error shippingAddress is required
    new Order({ orderId: 'o', customerId: 'c', items: [], total: new Decimal(0), currency: Buffer.alloc(3), createdAt: new Date() });
    // @ts-expect-error LOST is not an OrderStatus symbol
    new Order({ ...base, status: 'LOST' });
    // @ts-expect-error PHONE is not a Device symbol
    const device: Device = 'PHONE';
    // @ts-expect-error total is a Decimal, not a number
    new Order({ ...base, total: 1.5 });
    // @ts-expect-error createdAt is a Date
    new Order({ ...base, createdAt: 0 });
    expect(device).toBe('PHONE');
    expect(new Order({ ...base, status: 'PAID' }).status).toBe('PAID');
  });

  it('models are nominal: one is not accepted for another with the same fields, nor a plain object', () => {
    const celsius = (value: Celsius) => value.value;
    const fahrenheit = new Fahrenheit({ value: 451 });
    // @ts-expect-error a Fahrenheit is not a Celsius, although the fields are the same
    celsius(fahrenheit);
    // @ts-expect-error a plain object lacks the brand
    celsius({ value: 20 });
    expect(celsius(new Celsius({ value: 20 }))).toBe(20);
    // @ts-expect-error an Address is not a LineItem
    new Order({ ...base, items: [address] });
  });

  it('fields, decode, defaults and JSON have precise types', () => {
    expectTypeOf(Order.decode).returns.toEqualTypeOf<Order>();
    expectTypeOf<Order['items']>().toEqualTypeOf<LineItem[]>();
    expectTypeOf<Order['coupon']>().toEqualTypeOf<string | null>();
    expectTypeOf<Order['status']>().toEqualTypeOf<'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED'>();
    expectTypeOf<Order['total']>().toEqualTypeOf<Decimal>();
    expectTypeOf<Click['device']>().toEqualTypeOf<Device>();
    expectTypeOf<Order.Init['status']>().toEqualTypeOf<Order['status'] | undefined>();
    expectTypeOf<Order.Json['total']>().toEqualTypeOf<string>();
    expectTypeOf<PageViews['views']>().toEqualTypeOf<number>();
    expectTypeOf<BigintPrimitives['aLong']>().toEqualTypeOf<bigint>();
    expectTypeOf<Order['$type']>().toEqualTypeOf<'com.acme.orders.Order'>();
    expect(Order.fullName).toBe('com.acme.orders.Order');
  });

  it('the models map is typed per full name', () => {
    expectTypeOf(models['com.acme.orders.Order']).toEqualTypeOf<typeof Order>();
    expectTypeOf(models['com.acme.clicks.Device'].symbols).toEqualTypeOf<readonly Device[]>();
    // @ts-expect-error no such model
    expect(models['com.acme.orders.Refund']).toBeUndefined();
    expect(models['com.acme.orders.Order']).toBe(Order);
  });

  it('topic bindings carry their key and value types', () => {
    expectTypeOf<InferValue<typeof topics.orders>>().toEqualTypeOf<Order>();
    expectTypeOf<InferKey<typeof topics.orders>>().toEqualTypeOf<string>();
    expectTypeOf<InferValue<typeof topics.orderSummaries>>().toEqualTypeOf<OrderSummary>();
    expectTypeOf<InferValue<typeof topics.pageViews>>().toEqualTypeOf<PageViews>();
    expectTypeOf<InferKey<typeof trees>>().toEqualTypeOf<number>();
    // @ts-expect-error an orders topic takes Orders (and at run time the value is rejected too)
    expect(() => topics.orders.value.encode(new PageViews({ url: '/', views: 1 }))).toThrow();
    expect(topics.pageViews.config).toEqual({ 'cleanup.policy': 'compact' });
  });

  it('unions of records narrow by $type and by instanceof, without casts', () => {
    const area = (shape: Unions['shape']): number => {
      switch (shape.$type) {
        case 'spec.unions.Circle':
          expectTypeOf(shape).toEqualTypeOf<Circle>();
          return shape.radius;
        case 'spec.unions.Square':
          expectTypeOf(shape).toEqualTypeOf<Square>();
          return shape.side;
        default: {
          const never: never = shape;
          return never;
        }
      }
    };
    const side = (shape: Unions['maybeShape']) => (shape instanceof Square ? shape.side : shape === null ? 0 : shape.radius);
    expect(area(new Circle({ radius: 2 }))).toBe(2);
    expect(side(new Square({ side: 3 }))).toBe(3);
    expectTypeOf<Unions['numbers']>().toEqualTypeOf<{ int: number } | { double: number }>();
  });
});
