// The public API of mephisto. Internal modules are not part of it.
export * from './errors.js';
export * from './serde/index.js';
export type { ModelClass, InferModel } from './avro/model.js';
