import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroTypes, Decimal, bindModel, dateFromDays, daysFromDate, decodeValue } from 'mephisto/avro';
import { isEncodeError, isModelDecodeError } from 'mephisto';
import { Address, LineItem, Order, OrderStatus } from '../../generated/index.js';
import { Unions } from '../codegen/generated-fixtures/number/spec/unions/Unions.js';
import { Circle } from '../codegen/generated-fixtures/number/spec/unions/Circle.js';
import { Square } from '../codegen/generated-fixtures/number/spec/unions/Square.js';
import { Primitives as BigintPrimitives } from '../codegen/generated-fixtures/bigint/spec/primitives/Primitives.js';
import { Primitives } from '../codegen/generated-fixtures/number/spec/primitives/Primitives.js';
import { Logical } from '../codegen/generated-fixtures/number/spec/logical/Logical.js';
import { Tree } from '../codegen/generated-fixtures/number/spec/recursive/Tree.js';
import { expectInstancesDeep, randomValue } from './helpers.js';

const order = () =>
  new Order({
    orderId: '3f1c7e9a-0000-4000-8000-000000000001',
    customerId: 'c-1',
    items: [
      new LineItem({ sku: 'a', quantity: 1, unitPrice: new Decimal('10.00') }),
      new LineItem({ sku: 'b', quantity: 3, unitPrice: new Decimal('0.01') }),
    ],
    total: new Decimal('10.03'),
    currency: Buffer.from('EUR'),
    shippingAddress: new Address({ street: 's', city: 'c', postalCode: 'p', country: 'FR' }),
    createdAt: new Date(1_700_000_000_123),
  });

describe('decoding through a resolver (schema evolution)', () => {
  it('yields instances of the generated classes all the way down', () => {
    // An older writer: no coupon, no status, and an Address without country... plus an extra field.
    const writer = avro.Type.forSchema({
      type: 'record',
      name: 'com.acme.orders.Order',
      fields: [
        { name: 'orderId', type: 'string' },
        { name: 'customerId', type: 'string' },
        {
          name: 'items',
          type: { type: 'array', items: { type: 'record', name: 'com.acme.orders.LineItem', fields: [
            { name: 'sku', type: 'string' },
            { name: 'quantity', type: 'int' },
            { name: 'unitPrice', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
            { name: 'note', type: 'string' },
          ] } },
        },
        { name: 'total', type: 'bytes' },
        { name: 'currency', type: { type: 'fixed', name: 'com.acme.orders.CurrencyCode', size: 3 } },
        { name: 'shippingAddress', type: { type: 'record', name: 'com.acme.common.Address', fields: [
          { name: 'street', type: 'string' }, { name: 'city', type: 'string' }, { name: 'postalCode', type: 'string' }, { name: 'country', type: 'string' },
        ] } },
        { name: 'createdAt', type: 'long' },
      ],
    });
    const bytes = writer.toBuffer({
      orderId: 'o', customerId: 'c',
      items: [{ sku: 'x', quantity: 2, unitPrice: Buffer.from([0x04, 0xd2]), note: 'gift' }],
      total: Buffer.from([0x09, 0xa4]), currency: Buffer.from('USD'),
      shippingAddress: { street: 's', city: 'c', postalCode: 'p', country: 'US' }, createdAt: 86_400_000,
    });
    const decoded = Order.type.fromBuffer(bytes, Order.type.createResolver(writer)) as Order;
    expect(decoded).toBeInstanceOf(Order);
    expect(decoded.items[0]).toBeInstanceOf(LineItem);
    expect(decoded.shippingAddress).toBeInstanceOf(Address);
    expect(decoded.items[0]!.unitPrice.toFixed(2)).toBe('12.34');
    expect(decoded.total.toFixed(2)).toBe('24.68');
    expect(decoded.createdAt).toEqual(new Date(86_400_000));
    expect(decoded.status).toBe('PENDING');
    expect(decoded.coupon).toBeNull();
    expect(decoded.encode()).toEqual(Order.decode(decoded.encode()).encode());
  });

  it('narrows unions of records read through a resolver', () => {
    const writer = avro.Type.forSchema(Unions.schema as avro.Schema, { wrapUnions: true });
    for (let i = 0; i < 30; i += 1) {
      const value = randomValue(Unions.type) as Unions;
      const resolved = Unions.type.fromBuffer(Unions.type.toBuffer(value), Unions.type.createResolver(writer));
      expectInstancesDeep(Unions.type, resolved);
      expect(Unions.type.toBuffer(resolved)).toEqual(Unions.type.toBuffer(value));
    }
  });
});

describe('unions of records', () => {
  it('narrow by instanceof and by $type', () => {
    const value = Unions.decode(Unions.type.toBuffer(randomValue(Unions.type)));
    const area = (shape: Circle | Square): number => {
      switch (shape.$type) {
        case 'spec.unions.Circle':
          return Math.PI * shape.radius ** 2;
        case 'spec.unions.Square':
          return shape.side ** 2;
      }
    };
    expect(typeof area(value.shape)).toBe('number');
    expect(value.shape instanceof Circle || value.shape instanceof Square).toBe(true);
    const shape = new Square({ side: 2 });
    expect(shape.$type).toBe('spec.unions.Square');
    expect(area(shape)).toBe(4);
  });

  it('encode the branch of the instance given', () => {
    const base = Unions.decode(Unions.type.toBuffer(randomValue(Unions.type)));
    for (const shape of [new Circle({ radius: 1 }), new Square({ side: 1 })]) {
      const decoded = Unions.decode(new Unions({ ...base, shape, maybeShape: shape }).encode());
      expect(decoded.shape).toBeInstanceOf(shape.constructor as typeof Circle);
      expect(decoded.maybeShape).toBeInstanceOf(shape.constructor as typeof Circle);
    }
  });
});

describe('long', () => {
  const longBytes = (value: bigint) => avro.Type.forSchema('long').toBuffer(Number(value));

  it('as number: a clear error past 2^53, naming the fix', () => {
    const writer = avro.Type.forSchema({ type: 'record', name: 'W', fields: [{ name: 'v', type: 'long' }] });
    const types = new AvroTypes([{ type: 'record', name: 'W', fields: [{ name: 'v', type: 'long' }] }]);
    const tooBig = Buffer.concat([Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]);
    expect(writer.fromBuffer(Buffer.from([0x02])).v).toBe(1);
    let error: unknown;
    try {
      decodeValue(types.get('W'), tooBig);
    } catch (caught) {
      error = caught;
    }
    expect(isModelDecodeError(error)).toBe(true);
    expect(String(error)).toMatch(/beyond ±2\^53.*--long bigint/);
  });

  it('as bigint: every 64-bit value exact', () => {
    const base = BigintPrimitives.decode(BigintPrimitives.type.toBuffer(randomValue(BigintPrimitives.type)));
    for (const value of [0n, 1n, -1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 1234567890123456789n]) {
      const model = new BigintPrimitives({ ...base, aLong: value });
      const decoded = BigintPrimitives.decode(model.encode());
      expect(decoded.aLong).toBe(value);
      expect(decoded.encode()).toEqual(model.encode());
    }
    expect(longBytes(1n)).toEqual(Buffer.from([0x02]));
  });

  it('as bigint: rejects numbers and values past 64 bits', () => {
    const base = BigintPrimitives.decode(BigintPrimitives.type.toBuffer(randomValue(BigintPrimitives.type)));
    expect(() => new BigintPrimitives({ ...base, aLong: 2n ** 63n }).encode()).toThrow(/aLong/);
    expect(BigintPrimitives.validate({ ...base, aLong: 5 })).toEqual(['aLong: expected long, got 5']);
  });
});

describe('logical types', () => {
  const logical = () => Logical.decode(Logical.type.toBuffer(randomValue(Logical.type)));

  it('decimal: exact, and rejects what it cannot write without loss', () => {
    const base = logical();
    const exact = new Decimal('1234567890123456789012345678.0123456789');
    const decoded = Logical.decode(new Logical({ ...base, bigPrice: exact }).encode());
    expect(decoded.bigPrice.equals(exact)).toBe(true);
    expect(decoded.bigPrice.toFixed(10)).toBe('1234567890123456789012345678.0123456789');
    expect(Logical.validate({ ...base, price: new Decimal('0.001') })).toEqual(['price: expected decimal(12,2), got Decimal(0.001)']);
    expect(Logical.validate({ ...base, price: new Decimal('12345678901') })).toHaveLength(1);
    expect(() => new Logical({ ...base, price: new Decimal('0.001') }).encode()).toThrow(/price: expected decimal\(12,2\)/);
    for (const text of ['-0.01', '-1', '-128', '-129', '127.99', '9999999999.99', '-9999999999.99']) {
      const value = Logical.decode(new Logical({ ...base, price: new Decimal(text), money: new Decimal(text) }).encode());
      expect(value.price.equals(new Decimal(text))).toBe(true);
      expect(value.money.equals(new Decimal(text))).toBe(true);
    }
  });

  it('decimal bytes are minimal two\'s complement, as Java writes them', () => {
    const type = new AvroTypes([]).forSchema({ type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 });
    expect(type.toBuffer(new Decimal('1.27'))).toEqual(Buffer.from([0x02, 0x7f]));
    expect(type.toBuffer(new Decimal('1.28'))).toEqual(Buffer.from([0x04, 0x00, 0x80]));
    expect(type.toBuffer(new Decimal('-1.28'))).toEqual(Buffer.from([0x02, 0x80]));
    expect(type.toBuffer(new Decimal('-1.29'))).toEqual(Buffer.from([0x04, 0xff, 0x7f]));
  });

  it('date: ISO calendar dates, exact for every int', () => {
    expect(dateFromDays(0)).toBe('1970-01-01');
    expect(dateFromDays(19_782)).toBe('2024-02-29');
    expect(dateFromDays(-719_528)).toBe('0000-01-01');
    expect(dateFromDays(2_147_483_647)).toBe('+5881580-07-11');
    expect(dateFromDays(-2_147_483_648)).toBe('-5877641-06-23');
    for (const days of [0, 1, -1, 19_782, 2_932_896, -719_529, 2_147_483_647, -2_147_483_648]) {
      expect(daysFromDate(dateFromDays(days))).toBe(days);
    }
    expect(daysFromDate('2023-02-29')).toBeUndefined();
    expect(daysFromDate('2024-13-01')).toBeUndefined();
    expect(daysFromDate('24-01-01')).toBeUndefined();
    expect(Logical.validate({ ...logical(), day: '2023-02-29' })).toEqual(['day: expected date, got "2023-02-29"']);
  });

  it('timestamp-millis: Date both ways; uuid, time and micros keep their underlying values', () => {
    const decoded = Logical.decode(new Logical({ ...logical(), at: new Date('2024-01-02T03:04:05.678Z'), atMicros: 1_700_000_000_000_001, timeMicros: 86_399_999_999 }).encode());
    expect(decoded.at.toISOString()).toBe('2024-01-02T03:04:05.678Z');
    expect(decoded.atMicros).toBe(1_700_000_000_000_001);
    expect(decoded.timeMicros).toBe(86_399_999_999);
    expect(Logical.validate({ ...logical(), at: new Date(Number.NaN) })).toEqual(['at: expected timestamp-millis, got Date(invalid)']);
  });

  it('fall back to the underlying type when unknown or invalid', () => {
    const value = logical();
    expect(typeof value.unknown).toBe('string');
    expect(Buffer.isBuffer(value.invalidDecimal)).toBe(true);
    expect(typeof value.wrongUnderlying).toBe('string');
  });

  it('defaults are read through the logical type', () => {
    const defaults = new Logical({ ...logical(), priceWithDefault: undefined, dayWithDefault: undefined, atWithDefault: undefined });
    expect(defaults.priceWithDefault.toFixed(2)).toBe('12.34');
    expect(defaults.dayWithDefault).toBe('2022-01-08');
    expect(defaults.atWithDefault).toEqual(new Date(1_700_000_000_000));
  });
});

describe('validate, errors and JSON', () => {
  it('validate names every wrong field with its path', () => {
    const value = { ...order(), items: [new LineItem({ sku: 'a', quantity: 1, unitPrice: new Decimal(1) }), { sku: 'b', quantity: 'x', unitPrice: new Decimal(1) }], status: 'LOST' };
    expect(Order.validate(value)).toEqual(['items[1].quantity: expected int, got "x"', 'status: expected com.acme.orders.OrderStatus, got "LOST"']);
    expect(Order.validate(order())).toEqual([]);
    expect(Order.validate(null)).toEqual(['(value): expected com.acme.orders.Order, got null']);
  });

  it('names numbers JSON cannot show: NaN and the infinities (they read "got null"), and integers past 2^53', () => {
    const withQuantity = (quantity: number) => ({ ...order(), items: [{ sku: 'a', quantity, unitPrice: new Decimal(1) }] });
    expect(Order.validate(withQuantity(Number.NaN))).toEqual(['items[0].quantity: expected int, got NaN']);
    expect(Order.validate(withQuantity(-Infinity))).toEqual(['items[0].quantity: expected int, got -Infinity']);
    expect(Order.validate(withQuantity(2 ** 60))).toEqual([`items[0].quantity: expected int, got ${2 ** 60} (past 2^53: not an exact integer)`]);
  });

  it('encode of an invalid value throws an EncodeError listing the paths', () => {
    const bad = Object.assign(order(), { customerId: 42 });
    let error: unknown;
    try {
      bad.encode();
    } catch (caught) {
      error = caught;
    }
    expect(isEncodeError(error)).toBe(true);
    expect(String(error)).toContain('customerId: expected string, got 42');
  });

  it('decode of bad bytes throws a ModelDecodeError naming the model', () => {
    const bytes = order().encode();
    expect(() => Order.decode(bytes.subarray(0, 10))).toThrow(/Cannot decode com\.acme\.orders\.Order: the bytes .*truncated/);
    expect(() => Order.decode(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing data/);
  });

  it('JSON is plain and reads back exactly; bad JSON lists every problem', () => {
    const json = order().toJSON();
    expect(json).toMatchObject({ total: '10.03', currency: 'RVVS', createdAt: '2023-11-14T22:13:20.123Z', status: 'PENDING', coupon: null });
    expect(Order.fromJSON(json).encode()).toEqual(order().encode());
    expect(JSON.parse(JSON.stringify(order()))).toEqual(json);
    expect(() => Order.fromJSON({ ...json, total: 'ten', status: 'LOST' as OrderStatus, items: [{ sku: 1 }] } as never)).toThrow(
      /items\[0\]\.sku: expected a string.*items\[0\]\.quantity: missing.*total: expected a decimal string.*status: expected one of PENDING/,
    );
  });

  it('recursive types decode into instances at every level', () => {
    const tree = new Tree({ value: 1, children: [new Tree({ value: 2 }), new Tree({ value: 3, children: [new Tree({ value: 4 })] })] });
    const decoded = Tree.decode(tree.encode());
    expect(expectInstancesDeep(Tree.type, decoded)).toBe(4);
    expect(decoded.children[1]!.children[0]!.value).toBe(4);
  });

  it('enum descriptors list symbols and check values', () => {
    expect(OrderStatus.symbols).toEqual(['PENDING', 'PAID', 'SHIPPED', 'CANCELLED']);
    expect(OrderStatus.default).toBe('PENDING');
    expect(OrderStatus.is('PAID')).toBe(true);
    expect(OrderStatus.is('LOST')).toBe(false);
    expect(OrderStatus.is('constructor')).toBe(false);
  });

  it('float defaults and primitives keep their exact values', () => {
    const value = new Primitives({ ...(Primitives.decode(Primitives.type.toBuffer(randomValue(Primitives.type)))), intWithDefault: undefined, bytesWithDefault: undefined, stringWithDefault: undefined } as never);
    expect(value.intWithDefault).toBe(-2147483648);
    expect(value.bytesWithDefault).toEqual(Buffer.from([0x00, 0xff, 0x41]));
    expect(value.stringWithDefault).toBe('it\'s "quoted"\n\u00e9\u4e2d');
  });

  it('bindModel refuses a type that is not a record', () => {
    expect(() => bindModel(class {}, avro.Type.forSchema('int'))).toThrow(/not a record type/);
  });
});

describe('fields named like Object.prototype members', () => {
  it('take their defaults when left out, not the inherited functions (toString, valueOf)', async () => {
    const { class_ } = await import('../codegen/generated-fixtures/number/spec/keywords/class.js');
    const { Date_ } = await import('../codegen/generated-fixtures/number/spec/keywords/Date.js');
    const { Record_ } = await import('../codegen/generated-fixtures/number/spec/keywords/Record.js');
    const date = new Date_({ Buffer: Buffer.from([1]) });
    const init = {
      class: 'c', delete: false, constructor: 'k', toJSON: 'j', schema: 's', prototype: 'p', encode: 'e', decode: 'd', type: 't',
      fullName: 'f', validate: 'v', fromJSON: 'fj', hasOwnProperty: 'h', function: 'new' as const, Date: date, Record: new Record_({ Date: date }),
      string: Buffer.from('ab'),
    };
    // A literal leaving them out compiles (its inherited toString is let through by the Init type;
    // tsc over test/ checks it), and a wrong type given does not.
    const defaulted = new class_(init);
    // @ts-expect-error toString is a string field
    void (() => new class_({ ...init, toString: 5 }));
    // @ts-expect-error valueOf is an int field
    void (() => new class_({ ...init, valueOf: 'seven' }));
    expect(defaulted.toString).toBe('s');
    expect(defaulted.valueOf).toBe(7);
    const back = class_.type.fromBuffer(class_.type.toBuffer(defaulted)) as InstanceType<typeof class_>;
    expect([back.toString, back.valueOf, back.constructor]).toEqual(['s', 7, 'k']);
    const given = new class_({ ...init, toString: 'given', valueOf: 1 });
    expect([given.toString, given.valueOf]).toEqual(['given', 1]);
    // a function given on purpose is not a value: encoding says which field
    const odd = new class_({ ...init, toString: () => 'f' });
    expect(class_.validate(odd)).toEqual(['toString: expected string, got a function']);
  });
});

describe('decimal schema resolution', () => {
  it('refuses a writer decimal of another scale or precision (the digits would mean another number)', () => {
    const money = (precision: number, scale: number) => ({ type: 'record', name: 'n.M', fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision, scale } }] });
    const type = (precision: number, scale: number) => new AvroTypes([money(precision, scale) as never]).get('n.M');
    expect(() => type(10, 3).createResolver(type(10, 2))).toThrow('decimal(10, 3) cannot read decimal(10, 2)');
    expect(() => type(12, 2).createResolver(type(10, 2))).toThrow('decimal(12, 2) cannot read decimal(10, 2)');
    const same = type(10, 2);
    const written = type(10, 2).toBuffer({ amount: new Decimal('12.34') });
    expect(String((same.fromBuffer(written, same.createResolver(type(10, 2))) as { amount: Decimal }).amount)).toBe('12.34');
  });
});
