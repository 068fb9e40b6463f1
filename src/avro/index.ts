// Run-time support for generated models: imported by `generated/` as `mephisto/avro`.
export type { ModelClass, InferModel } from './model.js';
export { modelName } from './model.js';
export type { AvroSchemaJSON } from '../serde/codec.js';
export { AvroTypes, avroTypeOptions, bindModel, boundClass, valueKind, type AvroTypesOptions } from './types.js';
export { unionRepresentation, type UnionRepresentation, type ValueKind } from './union.js';
export type { LongMode } from './long.js';
export { dateFromDays, daysFromDate } from './logical.js';
export {
  decodeValue,
  encodeValue,
  validateValue,
  valueToJSON,
  valueFromJSON,
  defaultValue,
  defineEnum,
  defineFixed,
  type EnumModel,
  type FixedModel,
} from './runtime.js';
export type { Type as AvroType } from 'avsc';
export { Decimal } from './decimal.js';
