import { describe, expect, it } from 'vitest';
import { Decimal } from 'mephisto/avro';
import { Address, Click, LineItem, Order, topics } from '../../generated/index.js';

describe('generated models', () => {
  it('decode into instances of the generated classes, nested records included', () => {
    const order = new Order({
      orderId: '3f1c7e9a-0000-4000-8000-000000000001',
      customerId: 'c-1',
      items: [new LineItem({ sku: 'sku-1', quantity: 2, unitPrice: new Decimal('19.99') })],
      total: new Decimal('39.98'),
      currency: Buffer.from('EUR'),
      shippingAddress: new Address({ street: '1 rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' }),
      createdAt: new Date(1_700_000_000_000),
    });
    const bytes = order.encode();
    const decoded = Order.decode(bytes);
    expect(decoded).toBeInstanceOf(Order);
    expect(decoded.items[0]).toBeInstanceOf(LineItem);
    expect(decoded.shippingAddress).toBeInstanceOf(Address);
    expect(decoded.total.equals(new Decimal('39.98'))).toBe(true);
    expect(decoded.status).toBe('PENDING');
    expect(decoded.encode()).toEqual(bytes);
    const viaTopic = topics.orders.value.decode(topics.orders.value.encode(order));
    expect(viaTopic).toBeInstanceOf(Order);
  });

  it('fill defaults', () => {
    const click = new Click({ url: '/', userId: 'u', sessionId: 's', timestamp: new Date(0) });
    expect(Click.decode(click.encode())).toMatchObject({ referrer: null, device: 'DESKTOP', durationMs: 0 });
  });
});
