import { describe, expect, it } from 'vitest';
import type avro from 'avsc';
import * as schemas from '../../generated/index.js';
import * as fixtures from '../codegen/generated-fixtures/number/index.js';
import * as bigintFixtures from '../codegen/generated-fixtures/bigint/index.js';
import { encodeModel, expectInstancesDeep, modelToJSON, randomValue } from './helpers.js';

interface RecordClass {
  readonly fullName: string;
  readonly type: avro.Type;
  decode(buffer: Buffer): unknown;
  fromJSON(json: never): unknown;
  validate(value: unknown): string[];
  new (init: never): unknown;
}

const isRecordClass = (model: unknown): model is RecordClass =>
  typeof model === 'function' && typeof (model as { decode?: unknown }).decode === 'function';

const sets = [
  ['schemas/ (generated/)', schemas.models],
  ['fixtures, long as number', fixtures.models],
  ['fixtures, long as bigint', bigintFixtures.models],
] as const;

const iterations = 60;

describe.each(sets)('random values round-trip byte-exact through the generated classes: %s', (_, models) => {
  const records = Object.values(models).filter(isRecordClass);

  it('has record classes to test', () => {
    expect(records.length).toBeGreaterThan(3);
  });

  it.each(records.map((model) => [model.fullName, model] as const))('%s', (_name, model) => {
    for (let i = 0; i < iterations; i += 1) {
      const random = randomValue(model.type);
      const bytes = model.type.toBuffer(random);

      const decoded = model.decode(bytes);
      expectInstancesDeep(model.type, decoded);
      expect(encodeModel(decoded)).toEqual(bytes);
      expect(model.validate(decoded)).toEqual([]);

      // Through plain JSON text and back.
      const json = JSON.parse(JSON.stringify(modelToJSON(decoded))) as never;
      const fromJSON = model.fromJSON(json);
      expectInstancesDeep(model.type, fromJSON);
      expect(encodeModel(fromJSON)).toEqual(bytes);

      // Through the constructor: an object built from the decoded fields encodes the same.
      const rebuilt = new model({ ...(decoded as object) } as never);
      expect(rebuilt).toBeInstanceOf(model);
      expect(encodeModel(rebuilt)).toEqual(bytes);
    }
  });
});
