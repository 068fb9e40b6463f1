import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/avro/decimal.js';
import { canRead, explainIncompatibility } from '../../src/registry/compatibility.js';
import { inlineReferences, namedTypeName, parseAvro, schemaIdentity, stableJson } from '../../src/registry/schema.js';

const address = {
  type: 'record',
  name: 'Address',
  namespace: 'com.acme.common',
  doc: 'A postal address.',
  fields: [
    { name: 'city', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'AddressKind', symbols: ['HOME', 'WORK', 'OTHER'], default: 'OTHER' } },
  ],
};
const money = { type: 'fixed', name: 'Money', namespace: 'com.acme.common', size: 8, logicalType: 'decimal', precision: 12, scale: 2 };

describe('inlineReferences', () => {
  it('inlines each referenced type at its first use and names it afterwards', () => {
    const order = {
      type: 'record',
      name: 'Order',
      namespace: 'com.acme.orders',
      fields: [
        { name: 'ship', type: 'com.acme.common.Address' },
        { name: 'bill', type: ['null', 'com.acme.common.Address'], default: null },
        { name: 'total', type: 'com.acme.common.Money' },
      ],
    };
    const inlined = inlineReferences(order, [address, money]) as typeof order & { fields: { type: unknown }[] };
    expect(inlined.fields[0]!.type).toEqual(address);
    expect(inlined.fields[1]!.type).toEqual(['null', 'com.acme.common.Address']);
    expect(inlined.fields[2]!.type).toEqual(money);
    // Nothing avsc would drop is lost: the doc, the enum default, the decimal's precision and scale.
    expect(JSON.stringify(inlined)).toContain('"default":"OTHER"');
    expect(JSON.stringify(inlined)).toContain('"precision":12');
    // parsed with mephisto's logical types: the decimal is a Decimal, as the reader's would be
    const type = parseAvro(inlined);
    const bytes = type.toBuffer({ ship: { city: 'Oslo', kind: 'HOME' }, bill: null, total: new Decimal('12.34') });
    expect(bytes).toHaveLength(15);
    expect(String((type.fromBuffer(bytes) as { total: Decimal }).total)).toBe('12.34');
  });

  it('parses decimals as decimals, so that a writer of another scale is refused, not misread', () => {
    const amount = (scale: number) => ({ type: 'record', name: 'n.Payment', fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale } }] });
    const reader = parseAvro(amount(2));
    const writer = parseAvro(amount(3));
    expect(canRead(reader, writer)).toBe(false);
    expect(explainIncompatibility(reader, writer).join('\n')).toMatch(/decimal\(10, 2\) cannot read decimal\(10, 3\)/);
    expect(canRead(reader, parseAvro(amount(2)))).toBe(true);
  });

  it('resolves short names in the enclosing namespace, and follows references of references', () => {
    const line = { type: 'record', name: 'Line', namespace: 'com.acme.orders', fields: [{ name: 'to', type: 'com.acme.common.Address' }] };
    const order = { type: 'record', name: 'Order', namespace: 'com.acme.orders', fields: [{ name: 'lines', type: { type: 'array', items: 'Line' } }] };
    const inlined = inlineReferences(order, [address, line]);
    expect(inlined).toEqual({
      ...order,
      fields: [{ name: 'lines', type: { type: 'array', items: { ...line, fields: [{ name: 'to', type: address }] } } }],
    });
    expect(() => parseAvro(inlined)).not.toThrow();
  });

  it('gives a null-namespace dependency an explicit empty namespace, so it keeps its name where it lands', () => {
    const top = { type: 'record', name: 'Top', fields: [] };
    const order = { type: 'record', name: 'Order', namespace: 'com.acme', fields: [{ name: 'top', type: 'Top' }] };
    const inlined = inlineReferences(order, [top]) as unknown as { fields: { type: { namespace?: string } }[] };
    expect(inlined.fields[0]!.type.namespace).toBe('');
    expect((parseAvro(inlined as never) as unknown as { fields: { type: { name: string } }[] }).fields[0]!.type.name).toBe('Top');
  });

  it('leaves a schema without references as it is', () => {
    expect(inlineReferences(address, [])).toEqual(address);
    expect(inlineReferences('long', [money])).toBe('long');
  });
});

describe('schema helpers', () => {
  it('names named types in full, and nothing else', () => {
    expect(namedTypeName(address)).toBe('com.acme.common.Address');
    expect(namedTypeName({ type: 'record', name: 'a.b.C', namespace: 'ignored', fields: [] })).toBe('a.b.C');
    expect(namedTypeName({ type: 'enum', name: 'E', symbols: ['A'] })).toBe('E');
    expect(namedTypeName('long')).toBeUndefined();
    expect(namedTypeName({ type: 'array', items: 'long' })).toBeUndefined();
  });

  it('gives one identity to one schema, however its names are written', () => {
    const nested = { type: 'record', name: 'Order', namespace: 'a.b', fields: [{ name: 'x', type: { type: 'enum', name: 'E', symbols: ['A'] } }, { name: 'y', type: 'E' }] };
    const full = { fields: [{ type: { symbols: ['A'], type: 'enum', name: 'a.b.E' }, name: 'x' }, { name: 'y', type: 'a.b.E' }], name: 'a.b.Order', type: 'record' };
    expect(schemaIdentity(nested)).toBe(schemaIdentity(full));
    expect(schemaIdentity(nested)).not.toBe(schemaIdentity({ ...nested, doc: 'changed' }));
    expect(schemaIdentity({ ...nested, namespace: 'c' })).not.toBe(schemaIdentity(nested));
  });

  it('writes stable JSON whatever the key order', () => {
    expect(stableJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: 3 } })).toBe('{"a":{"c":3,"d":[{"x":2,"y":1}]},"b":1}');
  });
});
