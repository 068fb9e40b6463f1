import avro from 'avsc';
import { Decimal } from './decimal.js';
import { boundClass } from './types.js';

/**
 * The plain JSON form of Avro values, for logging and HTTP (`model.toJSON()`, `Model.fromJSON`):
 *
 * - records are objects of their fields, maps objects, arrays arrays, enums their symbol;
 * - bytes and fixed are base64 strings; decimals are strings (exact); timestamp-millis an ISO-8601
 *   string; date its `YYYY-MM-DD` string; bigint longs are decimal strings; non-finite floats are
 *   the strings `"NaN"`, `"Infinity"`, `"-Infinity"`;
 * - a union of `null` and one type is that type's JSON or `null`; any other union is wrapped in an
 *   object naming its branch, `{ "string": "x" }`, `{ "com.acme.Order": {...} }`, as in the Avro
 *   JSON encoding, so that reading it back never guesses.
 */

type Kind = string;
const typeName = (type: avro.Type): Kind => type.typeName;

interface UnionLike {
  readonly types: readonly avro.Type[];
}

function unionOf(type: avro.Type): { readonly union: UnionLike; readonly wrapped: boolean; readonly instances: boolean } | undefined {
  const name = typeName(type);
  if (name === 'union:unwrapped') return { union: type as unknown as UnionLike, wrapped: false, instances: false };
  if (name === 'union:wrapped') return { union: type as unknown as UnionLike, wrapped: true, instances: false };
  if (name === 'logical:mephisto:union') {
    return { union: (type as unknown as { underlyingType: UnionLike }).underlyingType, wrapped: false, instances: true };
  }
  return undefined;
}

const isNullable = (union: UnionLike) => union.types.length === 2 && union.types.some((t) => typeName(t) === 'null');

/** The branch of an unwrapped union that a value belongs to. */
function branchOfValue(type: avro.Type, union: UnionLike, value: unknown): avro.Type | undefined {
  const byClass = union.types.find((branch) => {
    const model = boundClass(branch);
    return model !== undefined && value instanceof model;
  });
  if (byClass !== undefined) return byClass;
  const candidates = union.types.filter((branch) => isValidValue(branch, value));
  return candidates.length >= 1 ? candidates[0] : undefined;
}

export function toJSONValue(type: avro.Type, value: unknown): unknown {
  const union = unionOf(type);
  if (union !== undefined) {
    if (value === null) return null;
    let branch: avro.Type | undefined;
    let inner: unknown = value;
    if (union.wrapped) {
      const key = Object.keys(value as object)[0]!;
      branch = union.union.types.find((t) => t.branchName === key);
      inner = (value as Record<string, unknown>)[key];
    } else {
      branch = branchOfValue(type, union.union, value);
    }
    if (branch === undefined) throw new TypeError(`value ${describe(value)} is in no branch of the union`);
    const json = toJSONValue(branch, inner);
    return isNullable(union.union) ? json : { [branch.branchName!]: json };
  }
  switch (typeName(type)) {
    case 'null':
    case 'boolean':
    case 'int':
    case 'long':
    case 'string':
    case 'enum':
    case 'logical:date':
    case 'logical:time-micros':
      return value;
    case 'float':
    case 'double':
      return Number.isFinite(value) ? value : String(value);
    case 'abstract:long':
      return (value as bigint).toString();
    case 'bytes':
    case 'fixed':
      return (value as Buffer).toString('base64');
    case 'logical:decimal':
      return (value as Decimal).toFixed((type as unknown as { scale: number }).scale);
    case 'logical:timestamp-millis':
      return (value as Date).toISOString();
    case 'array':
      return (value as unknown[]).map((item) => toJSONValue((type as unknown as { itemsType: avro.Type }).itemsType, item));
    case 'map': {
      const values = (type as unknown as { valuesType: avro.Type }).valuesType;
      const json: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as object)) json[key] = toJSONValue(values, item);
      return json;
    }
    case 'record':
    case 'error': {
      const json: Record<string, unknown> = {};
      for (const field of (type as avro.types.RecordType).fields) {
        json[field.name] = toJSONValue(field.type, (value as Record<string, unknown>)[field.name]);
      }
      return json;
    }
    default:
      if (avro.Type.isType(type, 'logical')) return toJSONValue((type as avro.types.LogicalType).underlyingType, value);
      throw new TypeError(`unsupported Avro type ${typeName(type)}`);
  }
}

/** Reads the plain JSON form back; collects every problem with its path rather than stopping. */
export function fromJSONValue(type: avro.Type, json: unknown, path: string, errors: string[]): unknown {
  const fail = (expected: string) => {
    errors.push(`${path === '' ? '(root)' : path}: expected ${expected}, got ${describe(json)}`);
    return undefined;
  };
  const union = unionOf(type);
  if (union !== undefined) {
    if (json === null) {
      if (union.union.types.some((t) => typeName(t) === 'null')) return null;
      return fail(`one of ${union.union.types.map((t) => t.branchName).join(', ')}`);
    }
    let branch: avro.Type | undefined;
    let inner: unknown = json;
    if (isNullable(union.union)) {
      branch = union.union.types.find((t) => typeName(t) !== 'null');
    } else {
      const keys = typeof json === 'object' && !Array.isArray(json) ? Object.keys(json as object) : [];
      branch = keys.length === 1 ? union.union.types.find((t) => t.branchName === keys[0]) : undefined;
      if (branch === undefined) {
        return fail(`an object naming one branch of ${union.union.types.map((t) => t.branchName).join(', ')}, e.g. { "${union.union.types.find((t) => typeName(t) !== 'null')?.branchName}": ... }`);
      }
      inner = (json as Record<string, unknown>)[keys[0]!];
    }
    const value = fromJSONValue(branch!, inner, union.wrapped || !isNullable(union.union) ? `${path}.${branch!.branchName}` : path, errors);
    return union.wrapped ? { [branch!.branchName!]: value } : value;
  }
  switch (typeName(type)) {
    case 'null':
      return json === null ? null : fail('null');
    case 'boolean':
      return typeof json === 'boolean' ? json : fail('a boolean');
    case 'int':
      return Number.isInteger(json) && (json as number) >= -(2 ** 31) && (json as number) < 2 ** 31 ? json : fail('an int');
    case 'long':
      return Number.isSafeInteger(json) ? json : fail('a long within ±2^53 (a safe integer)');
    case 'abstract:long':
      if (typeof json === 'string' && /^-?\d+$/.test(json)) return BigInt(json);
      return Number.isSafeInteger(json) ? BigInt(json as number) : fail('a long as a decimal string');
    case 'float':
    case 'double':
      if (typeof json === 'number') return json;
      return json === 'NaN' || json === 'Infinity' || json === '-Infinity' ? Number(json) : fail('a number');
    case 'string':
      return typeof json === 'string' ? json : fail('a string');
    case 'enum': {
      const symbols = (type as unknown as { symbols: string[] }).symbols;
      return typeof json === 'string' && symbols.includes(json) ? json : fail(`one of ${symbols.join(', ')}`);
    }
    case 'bytes':
    case 'fixed': {
      if (typeof json !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(json)) return fail('base64 bytes');
      const bytes = Buffer.from(json, 'base64');
      const size = (type as unknown as { size?: number }).size;
      if (typeName(type) === 'fixed' && bytes.length !== size) return fail(`${size} bytes in base64`);
      return bytes;
    }
    case 'logical:decimal': {
      if (typeof json !== 'string' && typeof json !== 'number') return fail('a decimal string');
      let decimal: Decimal;
      try {
        decimal = new Decimal(json);
      } catch {
        return fail('a decimal string');
      }
      return type.isValid(decimal) ? decimal : fail(`a decimal within ${describeType(type)}`);
    }
    case 'logical:timestamp-millis': {
      const date = typeof json === 'string' ? new Date(json) : undefined;
      return date !== undefined && !Number.isNaN(date.getTime()) ? date : fail('an ISO-8601 timestamp');
    }
    case 'logical:date':
      return typeof json === 'string' && type.isValid(json) ? json : fail('a date YYYY-MM-DD');
    case 'logical:time-micros':
      return Number.isSafeInteger(json) ? json : fail('microseconds after midnight');
    case 'array': {
      if (!Array.isArray(json)) return fail('an array');
      const items = (type as unknown as { itemsType: avro.Type }).itemsType;
      return json.map((item, i) => fromJSONValue(items, item, `${path}[${i}]`, errors));
    }
    case 'map': {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('an object (map)');
      const values = (type as unknown as { valuesType: avro.Type }).valuesType;
      const map: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(json)) map[key] = fromJSONValue(values, item, `${path}[${JSON.stringify(key)}]`, errors);
      return map;
    }
    case 'record':
    case 'error': {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail(`an object (${type.name})`);
      const record = type as avro.types.RecordType;
      const source = json as Record<string, unknown>;
      const args = record.fields.map((field) => {
        const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
        if (source[field.name] === undefined) {
          if (field.defaultValue() !== undefined) return undefined;
          errors.push(`${fieldPath}: missing (the field has no default)`);
          return undefined;
        }
        return fromJSONValue(field.type, source[field.name], fieldPath, errors);
      });
      for (const key of Object.keys(source)) {
        if (record.field(key) === undefined) errors.push(`${path === '' ? key : `${path}.${key}`}: unknown field of ${type.name}`);
      }
      const Record = record.recordConstructor as new (...values: unknown[]) => unknown;
      return new Record(...args);
    }
    default:
      if (avro.Type.isType(type, 'logical')) return fromJSONValue((type as avro.types.LogicalType).underlyingType, json, path, errors);
      return fail(`a value of ${typeName(type)}`);
  }
}

/** `type.isValid`, except that avsc throws for a bigint checked against an int: that is false. */
export function isValidValue(type: avro.Type, value: unknown, options?: Parameters<avro.Type['isValid']>[1]): boolean {
  try {
    return type.isValid(value, options);
  } catch {
    return false;
  }
}

/** A short rendering of a value for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  // JSON would say null for NaN and the infinities
  if (typeof value === 'number') {
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? `${value} (past 2^53: not an exact integer)` : String(value);
  }
  if (Buffer.isBuffer(value)) return `<Buffer of ${value.length} bytes>`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (Decimal.isDecimal(value)) return `Decimal(${(value as Decimal).toString()})`;
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A short name for a type in messages: `int`, `com.acme.Order`, `decimal(12,2)`, `array`. */
export function describeType(type: avro.Type): string {
  const name = typeName(type);
  if (name === 'logical:decimal') {
    const { precision, scale } = type as unknown as { precision: number; scale: number };
    return `decimal(${precision},${scale})`;
  }
  if (name.startsWith('logical:mephisto')) return 'union';
  if (name.startsWith('logical:')) return name.slice('logical:'.length);
  if (name === 'abstract:long') return 'long';
  if (name.startsWith('union')) return `union of ${(type as unknown as UnionLike).types.map((t) => t.branchName).join(', ')}`;
  return type.name ?? name;
}
