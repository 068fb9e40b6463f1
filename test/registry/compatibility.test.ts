import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { canRead, explainIncompatibility } from '../../src/registry/compatibility.js';

const type = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema);
const record = (name: string, fields: unknown[], extra: object = {}) => ({ type: 'record', name, namespace: 'com.acme', fields, ...extra });

/** [name, { reader, writer, want }]: `want` are patterns the explanation must hold; [] means readable. */
const cases: [string, { reader: unknown; writer: unknown; want: RegExp[] }][] = [
  ['added field with a default', {
    reader: record('Click', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]),
    writer: record('Click', [{ name: 'a', type: 'int' }]),
    want: [],
  }],
  ['added field without a default', {
    reader: record('Click', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]),
    writer: record('Click', [{ name: 'a', type: 'int' }]),
    want: [/com\.acme\.Click\.b: the reader's field has no default and the writer \(com\.acme\.Click\) has no field "b"; give it a default/],
  }],
  ['removed field', {
    reader: record('Click', [{ name: 'a', type: 'int' }]),
    writer: record('Click', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]),
    want: [],
  }],
  ['int promoted to long', {
    reader: record('Click', [{ name: 'a', type: 'long' }]),
    writer: record('Click', [{ name: 'a', type: 'int' }]),
    want: [],
  }],
  ['long narrowed to int', {
    reader: record('Click', [{ name: 'a', type: 'int' }]),
    writer: record('Click', [{ name: 'a', type: 'long' }]),
    want: [/com\.acme\.Click\.a: the writer's long cannot be read as int \(Avro promotes int to long, never back\)/],
  }],
  ['string changed to int', {
    reader: record('Click', [{ name: 'a', type: 'int' }]),
    writer: record('Click', [{ name: 'a', type: 'string' }]),
    want: [/com\.acme\.Click\.a: the writer's string cannot be read as int/],
  }],
  ['new enum symbol, reader enum with a default', {
    reader: record('Click', [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['A', 'OTHER'], default: 'OTHER' } }]),
    writer: record('Click', [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } }]),
    want: [],
  }],
  ['new enum symbol, reader enum without a default', {
    reader: record('Click', [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['A'] } }]),
    writer: record('Click', [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } }]),
    want: [/com\.acme\.Click\.k: the writer's enum com\.acme\.Kind has symbols B that the reader lacks/],
  }],
  ['renamed field with an alias', {
    reader: record('Click', [{ name: 'userId', type: 'string', aliases: ['user'] }]),
    writer: record('Click', [{ name: 'user', type: 'string' }]),
    want: [],
  }],
  ['renamed record with an alias', {
    reader: record('PageView', [{ name: 'a', type: 'int' }], { aliases: ['com.acme.Click'] }),
    writer: record('Click', [{ name: 'a', type: 'int' }]),
    want: [],
  }],
  ['renamed record without an alias', {
    reader: record('PageView', [{ name: 'a', type: 'int' }]),
    writer: record('Click', [{ name: 'a', type: 'int' }]),
    want: [/record com\.acme\.PageView cannot read record com\.acme\.Click.*aliases/],
  }],
  ['nested record field, path names the inner record', {
    reader: record('Order', [{ name: 'ship', type: record('Address', [{ name: 'zip', type: 'int' }]) }]),
    writer: record('Order', [{ name: 'ship', type: record('Address', [{ name: 'zip', type: 'string' }]) }]),
    want: [/com\.acme\.Address\.zip: the writer's string cannot be read as int/],
  }],
  ['array items', {
    reader: record('Cart', [{ name: 'qty', type: { type: 'array', items: 'int' } }]),
    writer: record('Cart', [{ name: 'qty', type: { type: 'array', items: 'double' } }]),
    want: [/com\.acme\.Cart\.qty\[\]: the writer's double cannot be read as int/],
  }],
  ['writer union with a branch the reader lacks', {
    reader: record('Click', [{ name: 'a', type: ['null', 'string'] }]),
    writer: record('Click', [{ name: 'a', type: ['null', 'string', 'boolean'] }]),
    want: [/com\.acme\.Click\.a: the writer's union branch boolean matches no branch of the reader's union \[null, string\]/],
  }],
  ['reader union accepts the writer branch', {
    reader: record('Click', [{ name: 'a', type: ['null', 'long'] }]),
    writer: record('Click', [{ name: 'a', type: 'int' }]),
    want: [],
  }],
];

describe('explainIncompatibility', () => {
  it.each(cases)('%s', (_name, { reader, writer, want }) => {
    const messages = explainIncompatibility(type(reader), type(writer));
    expect(canRead(type(reader), type(writer))).toBe(want.length === 0);
    if (want.length === 0) {
      expect(messages).toEqual([]);
      return;
    }
    for (const pattern of want) expect(messages.join('\n')).toMatch(pattern);
  });

  it('reports every broken field, not only the first', () => {
    const messages = explainIncompatibility(
      type(record('Click', [{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }, { name: 'c', type: 'int' }])),
      type(record('Click', [{ name: 'a', type: 'string' }, { name: 'c', type: 'int' }])),
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('Click.a');
    expect(messages[1]).toContain('Click.b');
  });
});
