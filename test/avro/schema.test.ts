import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SchemaWriter } from '../../codegen/emit/schema.js';
import { resolveSchemas } from '../../codegen/resolve.js';
import { readInput } from '../../codegen/cli.js';
import * as schemas from '../../generated/index.js';
import * as fixtures from '../codegen/generated-fixtures/number/index.js';
import { Order } from '../../generated/index.js';

const sets = [
  ['schemas', schemas.models, 'schemas'],
  ['fixtures', fixtures.models, 'test/codegen/fixtures/spec'],
] as const;

describe.each(sets)('static schema of every %s model', (_name, models, dir) => {
  const resolved = resolveSchemas(readInput({ schemas: dir }).schemas);
  const entries = Object.entries(models) as [string, { schema: unknown }][];

  it.each(entries)('%s: self-contained, the same bytes codegen writes, parseable alone by avsc', (fullName, model) => {
    const expected = new SchemaWriter(resolved.set!).named(fullName);
    expect(JSON.stringify(model.schema)).toBe(JSON.stringify(expected));
    const alone = avro.Type.forSchema(model.schema as avro.Schema, { wrapUnions: 'auto' });
    expect(alone.name).toBe(fullName);
  });
});

describe('self-contained schemas', () => {
  it('inline every referenced type where first met', () => {
    const text = JSON.stringify(Order.schema);
    expect(text).toContain('"name":"com.acme.common.Address","doc":"A postal address."');
    expect(text).toContain('"name":"com.acme.orders.LineItem"');
    expect(Object.isFrozen(Order.schema)).toBe(true);
    expect(Order.schema).toBe(Order.schema);
  });
});
