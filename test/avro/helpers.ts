import type avro from 'avsc';
import { boundClass } from 'mephisto/avro';
import { expect } from 'vitest';

type AnyType = avro.Type & { typeName: string };
const t = (type: avro.Type) => type as AnyType & Record<string, never>;

/**
 * Walks a value along its avsc type and asserts that every record in it, at any depth (in arrays,
 * maps, unions), is an instance of its generated class. Returns how many records it checked.
 */
export function expectInstancesDeep(type: avro.Type, value: unknown, path = '(value)'): number {
  const name = t(type).typeName;
  if (name === 'record' || name === 'error') {
    const model = boundClass(type);
    expect(model, `${path}: ${type.name} has no bound class`).toBeDefined();
    expect(value, `${path} should be a ${type.name}`).toBeInstanceOf(model!);
    let count = 1;
    for (const field of (type as avro.types.RecordType).fields) {
      count += expectInstancesDeep(field.type, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`);
    }
    return count;
  }
  if (name === 'array') {
    const items = (type as unknown as { itemsType: avro.Type }).itemsType;
    return (value as unknown[]).reduce<number>((n, item, i) => n + expectInstancesDeep(items, item, `${path}[${i}]`), 0);
  }
  if (name === 'map') {
    const values = (type as unknown as { valuesType: avro.Type }).valuesType;
    return Object.entries(value as object).reduce((n, [key, item]) => n + expectInstancesDeep(values, item, `${path}[${key}]`), 0);
  }
  if (name === 'union:wrapped') {
    if (value === null) return 0;
    const key = Object.keys(value as object)[0]!;
    const branch = (type as unknown as { types: avro.Type[] }).types.find((b) => b.branchName === key)!;
    return expectInstancesDeep(branch, (value as Record<string, unknown>)[key], `${path}.${key}`);
  }
  if (name === 'union:unwrapped' || name === 'logical:mephisto:union') {
    const union = name === 'union:unwrapped' ? type : (type as avro.types.LogicalType).underlyingType;
    const branches = (union as unknown as { types: avro.Type[] }).types;
    const records = branches.filter((b) => b.typeName === 'record' || b.typeName === 'error');
    const byClass = records.find((b) => value instanceof boundClass(b)!);
    if (byClass !== undefined) return expectInstancesDeep(byClass, value, path);
    // Not a record: it must then be valid for a non-record branch.
    const other = branches.find((b) => !records.includes(b) && isValidSafe(b, value));
    expect(other, `${path}: ${String(value)} is neither a record instance nor another branch`).toBeDefined();
    return expectInstancesDeep(other!, value, path);
  }
  return 0;
}

/** Calls the model's `encode` (or `$encode` when a field took the name). */
export function encodeModel(value: unknown): Buffer {
  const model = value as { encode?: unknown; $encode?: () => Buffer };
  return typeof model.encode === 'function' ? (model.encode as () => Buffer)() : model.$encode!();
}

/** Calls the model's `toJSON` (or `$toJSON`). */
export function modelToJSON(value: unknown): unknown {
  const model = value as { toJSON?: unknown; $toJSON?: () => unknown };
  return typeof model.toJSON === 'function' ? (model.toJSON as () => unknown)() : model.$toJSON!();
}

/** avsc's `isValid` throws (instead of answering false) for a bigint checked against an int. */
function isValidSafe(type: avro.Type, value: unknown): boolean {
  try {
    return type.isValid(value);
  } catch {
    return false;
  }
}

/**
 * A random value of an avsc type: leaves come from avsc's own `random()` (our logical types give
 * valid decimals, dates...), while arrays, maps and unions are bounded in depth so that recursive
 * types (a tree of itself) stay finite.
 */
export function randomValue(type: avro.Type, depth = 0): unknown {
  const name = t(type).typeName;
  const size = () => (depth > 3 ? 0 : Math.floor(Math.random() * 4));
  switch (name) {
    case 'record':
    case 'error': {
      const record = type as avro.types.RecordType;
      const Record = record.recordConstructor as new (...values: unknown[]) => unknown;
      return new Record(...record.fields.map((field) => randomValue(field.type, depth + 1)));
    }
    case 'array': {
      const items = (type as unknown as { itemsType: avro.Type }).itemsType;
      return Array.from({ length: size() }, () => randomValue(items, depth + 1));
    }
    case 'map': {
      const values = (type as unknown as { valuesType: avro.Type }).valuesType;
      return Object.fromEntries(Array.from({ length: size() }, (_, i) => [`k${i}${Math.random().toString(36).slice(2, 6)}`, randomValue(values, depth + 1)]));
    }
    case 'union:wrapped':
    case 'union:unwrapped':
    case 'logical:mephisto:union': {
      const union = name === 'logical:mephisto:union' ? (type as avro.types.LogicalType).underlyingType : type;
      const branches = (union as unknown as { types: avro.Type[] }).types;
      // Deep down, prefer a branch that ends the recursion (null, or not a record).
      const enders = branches.filter((b) => b.typeName !== 'record');
      const pool = depth > 3 && enders.length > 0 ? enders : branches;
      const branch = pool[Math.floor(Math.random() * pool.length)]!;
      const value = randomValue(branch, depth + 1);
      if (name === 'union:wrapped' && value !== null) return { [branch.branchName!]: value };
      return value;
    }
    default:
      return type.random();
  }
}
