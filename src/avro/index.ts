// Run-time support for generated models: imported by `generated/` as `mephisto/avro`.
export type { ModelClass, InferModel } from './model.js';
export { modelName } from './model.js';
export type { AvroSchemaJSON } from '../serde/codec.js';
