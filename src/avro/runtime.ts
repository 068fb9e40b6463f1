import avro from 'avsc';
import { EncodeError, ModelDecodeError } from '../errors.js';
import type { AvroSchemaJSON } from '../serde/codec.js';
import { describe, describeType, fromJSONValue, isValidValue, toJSONValue } from './json.js';
import { boundClass } from './types.js';

/**
 * The helpers generated classes call. They are small on purpose: the generated code says what a
 * model is, these say how avsc does it.
 */

/** Decodes one value; a failure names the model and says why (truncated, bad tag, long past 2^53). */
export function decodeValue<T>(type: avro.Type, buffer: Buffer): T {
  try {
    return type.fromBuffer(buffer) as T;
  } catch (error) {
    throw new ModelDecodeError(describeType(type), decodeReason(error), { cause: error });
  }
}

/** What `readRange` returns when avsc did not read exactly the range. */
export const NOT_IN_RANGE: unique symbol = Symbol('not in range');

/**
 * Decodes the value in `bytes[start, end)` where it lies (no Buffer view of it), or returns
 * NOT_IN_RANGE when avsc failed or did not end exactly at `end` (a truncated or corrupt record,
 * read into the bytes after it): the caller then decodes a view, which words the problem exactly.
 */
export function readRange(type: avro.Type, bytes: Buffer, start: number, end: number): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(bytes, start);
  } catch {
    return NOT_IN_RANGE;
  }
  return decoded.offset === end ? decoded.value : NOT_IN_RANGE;
}

/**
 * `decode` of `bytes[start, end)`: in place when the bytes are sound, else `decode` of a view of
 * them, so that the result and the errors are exactly `decode`'s.
 */
export function decodeRangeOr<T>(type: avro.Type, bytes: Buffer, start: number, end: number, decode: (view: Buffer) => T): T {
  const value = readRange(type, bytes, start, end);
  return value !== NOT_IN_RANGE ? (value as T) : decode(bytes.subarray(start, end));
}

function decodeReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'potential precision loss') {
    return 'a long is beyond ±2^53 and cannot be a JavaScript number without losing precision; regenerate with `mephisto codegen --long bigint`';
  }
  if (message === 'truncated buffer') return 'the bytes end in the middle of a value (truncated)';
  if (error instanceof TypeError || error instanceof RangeError) {
    return `the bytes are not a valid encoding of this schema (truncated or corrupt; ${message})`;
  }
  if (message === 'trailing data') return 'bytes remain after the value (trailing data): not this schema, or framed (e.g. a registry header)';
  return message;
}

/** Encodes one value; an invalid value is reported with every wrong field's path. */
export function encodeValue(type: avro.Type, value: unknown): Buffer {
  try {
    return type.toBuffer(value);
  } catch (error) {
    const errors = validateValue(type, value);
    throw new EncodeError(describeType(type), errors.length > 0 ? errors : [error instanceof Error ? error.message : String(error)], undefined, {
      cause: error,
    });
  }
}

/** Every way `value` is not a valid value of `type`: `items[3].quantity: expected int, got "x"`. */
export function validateValue(type: avro.Type, value: unknown): string[] {
  const errors: string[] = [];
  const valid = isValidValue(type, value, {
    errorHook: (path: string[], invalid: unknown, invalidType: avro.Type) => {
      errors.push(`${formatPath(type, value, path)}: expected ${describeType(invalidType)}, got ${describe(invalid)}`);
    },
  });
  if (!valid && errors.length === 0) errors.push(`(value): not a valid ${describeType(type)}: ${describe(value)}`);
  return errors;
}

/** Turns avsc's error path (field names, indexes, map keys, branch names) into `items[3].sku`. */
function formatPath(root: avro.Type, rootValue: unknown, path: readonly string[]): string {
  let text = '';
  let type: avro.Type | undefined = root;
  let value = rootValue;
  for (const segment of path) {
    type = type === undefined ? undefined : unwrapForPath(type, value, segment);
    const name = type?.typeName;
    if (name === 'array') {
      text += `[${segment}]`;
      type = (type as unknown as { itemsType: avro.Type }).itemsType;
    } else if (name === 'map') {
      text += `[${JSON.stringify(segment)}]`;
      type = (type as unknown as { valuesType: avro.Type }).valuesType;
    } else if (name === 'record' || name === 'error') {
      text += text === '' ? segment : `.${segment}`;
      type = (type as avro.types.RecordType).field(segment)?.type;
    } else if (name === 'union:wrapped') {
      text += `[${JSON.stringify(segment)}]`;
      type = (type as unknown as { types: avro.Type[] }).types.find((branch) => branch.branchName === segment);
    } else {
      text += text === '' ? segment : `.${segment}`;
      type = undefined;
    }
    value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[segment];
  }
  return text === '' ? '(value)' : text;
}

function unwrapForPath(type: avro.Type, value: unknown, segment: string): avro.Type {
  let current = type;
  for (;;) {
    const name = current.typeName;
    if (name === 'logical:mephisto:union') {
      current = (current as avro.types.LogicalType).underlyingType;
    } else if (name === 'union:unwrapped') {
      const branches = (current as unknown as { types: avro.Type[] }).types;
      const byClass = branches.find((branch) => {
        const model = boundClass(branch);
        return model !== undefined && value instanceof model;
      });
      const next =
        byClass ??
        branches.find((branch) => {
          const kind = branch.typeName;
          if (Array.isArray(value)) return kind === 'array';
          if (kind === 'record' || kind === 'error') return (branch as avro.types.RecordType).field(segment) !== undefined;
          return kind === 'map';
        });
      if (next === undefined) return current;
      current = next;
    } else if (name.startsWith('logical:')) {
      return current;
    } else {
      return current;
    }
  }
}

export function valueToJSON(type: avro.Type, value: unknown): unknown {
  return toJSONValue(type, value);
}

/** Reads the plain JSON form; throws a ModelDecodeError listing every problem with its path. */
export function valueFromJSON<T>(type: avro.Type, json: unknown): T {
  const errors: string[] = [];
  const value = fromJSONValue(type, json, '', errors);
  if (errors.length > 0) throw new ModelDecodeError(describeType(type), `invalid JSON: ${errors.join('; ')}`);
  return value as T;
}

/** A fresh copy of a record field's default value, as avsc reads it from the schema. */
export function defaultValue<T>(type: avro.Type, field: string): T {
  return (type as avro.types.RecordType).field(field).defaultValue() as T;
}

// ---------------------------------------------------------------------------------------------
// Enums and fixed types: a runtime descriptor beside the TypeScript type

export interface EnumModel<TSymbol extends string> {
  readonly fullName: string;
  readonly schema: AvroSchemaJSON;
  readonly type: avro.Type;
  /** The symbols, in schema order. */
  readonly symbols: readonly TSymbol[];
  /** The enum's default (used when reading a symbol the reader does not know), if it has one. */
  readonly default: TSymbol | undefined;
  /** Whether a value is one of the symbols. */
  is(value: unknown): value is TSymbol;
}

export function defineEnum<const TSymbol extends string>(definition: {
  readonly fullName: string;
  readonly schema: AvroSchemaJSON;
  readonly type: avro.Type;
  readonly symbols: readonly TSymbol[];
  readonly default?: NoInfer<TSymbol>;
}): EnumModel<TSymbol> {
  const symbols = new Set<string>(definition.symbols);
  return Object.freeze({
    fullName: definition.fullName,
    schema: definition.schema,
    type: definition.type,
    symbols: Object.freeze([...definition.symbols]),
    default: definition.default,
    is: (value: unknown): value is TSymbol => typeof value === 'string' && symbols.has(value),
  });
}

export interface FixedModel {
  readonly fullName: string;
  readonly schema: AvroSchemaJSON;
  readonly type: avro.Type;
  /** The size in bytes. */
  readonly size: number;
}

export function defineFixed(definition: FixedModel): FixedModel {
  return Object.freeze({ ...definition });
}
