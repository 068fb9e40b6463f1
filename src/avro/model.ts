import type { Type } from 'avsc';
import type { AvroSchemaJSON } from '../serde/codec.js';

/**
 * The brand every generated model carries: `declare readonly [modelName]: 'com.acme.Order'`.
 * It makes models nominal, so an `Order` is never accepted where a `Refund` with the same fields
 * is expected. Generated classes only `declare` it, so nothing is stored under it at run time.
 */
export const modelName: unique symbol = Symbol.for('mephisto.modelName');

/** What the runtime needs from a generated record class. */
export interface ModelClass<TModel> {
  /** The Avro full name, e.g. `com.acme.Order`. */
  readonly fullName: string;
  /** The full, self-contained Avro schema (every referenced type inlined). */
  readonly schema: AvroSchemaJSON;
  /** The avsc reader type; decoding through it yields instances of the generated classes. */
  readonly type: Type;
  decode(buffer: Buffer): TModel;
}

export type InferModel<TClass> = TClass extends ModelClass<infer TModel> ? TModel : never;
