import avro from 'avsc';
import { Decimal } from './decimal.js';
import type { AvroSchemaJSON, Codec } from '../serde/codec.js';
import { logicalTypes, ownLogicalType } from './logical.js';
import { createBigintLongType, type LongMode } from './long.js';
import { decodeValue, encodeValue } from './runtime.js';
import { unionRepresentation, type ValueKind } from './union.js';

export interface AvroTypesOptions {
  /** `number` (default; a clear error past 2^53) or `bigint`. */
  readonly long?: LongMode;
}

/**
 * The avsc types of one schema set, built once in one registry so that a named type is one avsc
 * type wherever it appears, and so that each record type can be bound to its generated class.
 */
export class AvroTypes {
  readonly long: LongMode;
  readonly #registry: Record<string, avro.Type> = {};
  readonly #options: Record<string, unknown>;
  readonly #definitions = new Map<string, SchemaObject>();
  readonly #schemas = new Map<string, AvroSchemaJSON>();

  /**
   * @param definitions the set's named types, each defined once (where first met) and referenced
   *   by full name after, as codegen writes them.
   */
  constructor(definitions: readonly AvroSchemaJSON[], options: AvroTypesOptions = {}) {
    this.long = options.long ?? 'number';
    this.#options = avroTypeOptions(this.long, this.#registry);
    for (const definition of definitions) {
      indexDefinitions(definition, '', this.#definitions);
      avro.Type.forSchema(definition as avro.Schema, this.#options as never);
    }
  }

  /**
   * The full, self-contained schema of a named type (every type it references inlined where first
   * met), as a registry stores it; built once, on first use.
   */
  schema(fullName: string): AvroSchemaJSON {
    let schema = this.#schemas.get(fullName);
    if (schema === undefined) {
      if (!this.#definitions.has(fullName)) throw new Error(`No Avro type named ${fullName} in this schema set`);
      schema = deepFreeze(inline(fullName, '', this.#definitions, new Set())) as AvroSchemaJSON;
      this.#schemas.set(fullName, schema);
    }
    return schema;
  }

  /** The avsc type of a named type of this set. */
  get(fullName: string): avro.Type {
    const type = this.#registry[fullName];
    if (type === undefined) throw new Error(`No Avro type named ${fullName} in this schema set`);
    return type;
  }

  /**
   * A codec for a named type of the set (by full name) or any schema: used by generated topic
   * bindings for enum, fixed and non-`number` primitive keys and values.
   */
  codec<T>(schema: AvroSchemaJSON): Codec<T> {
    const named = typeof schema === 'string' && this.#definitions.has(schema);
    const type = named ? this.get(schema as string) : this.forSchema(schema);
    const name = typeof schema === 'string' ? schema : `avro:${type.typeName}`;
    return Object.freeze({
      name,
      encode: (value: T) => encodeValue(type, value),
      decode: (buffer: Buffer) => decodeValue<T>(type, buffer),
      avro: Object.freeze({ schema: named ? this.schema(schema as string) : schema, type }),
    });
  }

  /** An avsc type for any schema, in this set's registry (it may reference the set's named types). */
  forSchema(schema: AvroSchemaJSON): avro.Type {
    return avro.Type.forSchema(schema as avro.Schema, { ...this.#options, registry: { ...this.#registry } } as never);
  }
}

type SchemaObject = { readonly [key: string]: unknown };
const namedKinds = new Set(['record', 'error', 'enum', 'fixed']);
const isSchemaObject = (json: unknown): json is SchemaObject => typeof json === 'object' && json !== null && !Array.isArray(json);

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullName: string): string {
  return fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : '';
}

/** Indexes every named definition in a schema by full name. */
function indexDefinitions(json: unknown, namespace: string, index: Map<string, SchemaObject>): void {
  if (Array.isArray(json)) {
    for (const branch of json) indexDefinitions(branch, namespace, index);
    return;
  }
  if (!isSchemaObject(json)) return;
  if (namedKinds.has(json.type as string) && typeof json.name === 'string') {
    const own = typeof json.namespace === 'string' ? json.namespace : namespace;
    const fullName = qualify(json.name, own);
    index.set(fullName, json);
    if (Array.isArray(json.fields)) {
      for (const field of json.fields as SchemaObject[]) indexDefinitions(field.type, namespaceOf(fullName), index);
    }
    return;
  }
  indexDefinitions(json.items, namespace, index);
  indexDefinitions(json.values, namespace, index);
}

/** A self-contained copy of a named type's schema: each named type defined where first met. */
function inline(fullName: string, context: string, index: ReadonlyMap<string, SchemaObject>, done: Set<string>): unknown {
  if (done.has(fullName)) return fullName;
  done.add(fullName);
  const definition = index.get(fullName)!;
  const namespace = namespaceOf(fullName);
  // Same attribute order as codegen writes: a null-namespace type inside a namespaced one says so
  // right after its name, or its name would be qualified.
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(definition)) {
    if (key === 'namespace') continue;
    copy[key] = key === 'name' ? fullName : value;
    if (key === 'name' && namespace === '' && context !== '') copy.namespace = '';
  }
  if (Array.isArray(definition.fields)) {
    copy.fields = (definition.fields as SchemaObject[]).map((field) => ({ ...field, type: inlineType(field.type, namespace, index, done) }));
  }
  return copy;
}

function inlineType(json: unknown, namespace: string, index: ReadonlyMap<string, SchemaObject>, done: Set<string>): unknown {
  if (typeof json === 'string') {
    const full = qualify(json, namespace);
    if (index.has(full)) return inline(full, namespace, index, done);
    return index.has(json) ? inline(json, namespace, index, done) : json;
  }
  if (Array.isArray(json)) return json.map((branch) => inlineType(branch, namespace, index, done));
  if (!isSchemaObject(json)) return json;
  if (namedKinds.has(json.type as string) && typeof json.name === 'string') {
    const own = typeof json.namespace === 'string' ? json.namespace : namespace;
    return inline(qualify(json.name, own), namespace, index, done);
  }
  if (json.type === 'array') return { ...json, items: inlineType(json.items, namespace, index, done) };
  if (json.type === 'map') return { ...json, values: inlineType(json.values, namespace, index, done) };
  return json;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** Builds avsc options with mephisto's long, logical type and union handling. */
export function avroTypeOptions(long: LongMode, registry: Record<string, avro.Type> = {}): Record<string, unknown> {
  const bigintLong = long === 'bigint' ? createBigintLongType() : undefined;
  const building = new WeakSet<object>();
  const logicalType = logicalTypeHook(building);

  const typeHook = (schema: unknown, opts: Record<string, unknown>): avro.Type | undefined => {
    if (Array.isArray(schema)) return unionType(schema, opts);
    if (typeof schema === 'string' && !schema.includes('.') && typeof opts.namespace === 'string' && opts.namespace !== '') {
      // As in Java Avro: a simple name not found in the current namespace is looked up in the null
      // namespace (avsc alone would only qualify it).
      const names = opts.registry as Record<string, avro.Type>;
      if (names[`${opts.namespace}.${schema}`] === undefined && names[schema] !== undefined) return names[schema];
    }
    if (bigintLong !== undefined && (schema === 'long' || (isObject(schema) && schema.type === 'long' && building.has(schema)))) {
      return bigintLong;
    }
    const logical = logicalType(schema, opts);
    if (logical !== undefined) return logical;
    if (bigintLong !== undefined && isObject(schema) && !building.has(schema) && schema.type === 'long') return bigintLong;
    return undefined;
  };

  return { registry, typeHook, omitRecordMethods: true, wrapUnions: 'auto' };
}

/**
 * avsc options with mephisto's logical types (decimal, timestamp-millis, date, time-micros) and
 * nothing else, for schemas read only to resolve or compare against (a registry's schemas): a
 * writer's `decimal(10, 3)` must meet a reader's `decimal(10, 2)` as a decimal, not as bytes,
 * for resolution and compatibility checks to refuse it.
 */
export function logicalTypeOptions(registry: Record<string, avro.Type> = {}): Record<string, unknown> {
  return { registry, typeHook: logicalTypeHook(new WeakSet<object>()) };
}

/**
 * The avsc type hook that builds mephisto's logical types. `building` holds the schemas being
 * built: a logical type builds its underlying type from the same schema, which must not come back
 * here.
 */
function logicalTypeHook(building: WeakSet<object>): (schema: unknown, opts: Record<string, unknown>) => avro.Type | undefined {
  return (schema, opts) => {
    if (!isObject(schema) || building.has(schema)) return undefined;
    const logical = ownLogicalType(schema);
    if (logical === undefined) return undefined;
    building.add(schema);
    try {
      return new logicalTypes[logical]!.type(schema, opts) as unknown as avro.Type;
    } finally {
      building.delete(schema);
    }
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unionType(schema: readonly unknown[], opts: Record<string, unknown>): avro.Type {
  const branches = schema.map((branch) => avro.Type.forSchema(branch as avro.Schema, opts as never));
  const representation = unionRepresentation(branches.map(valueKind));
  if (representation === 'native') return new NativeUnionType(branches as never, opts);
  const wrapped = new WrappedUnionType(branches as never, opts);
  if (representation === 'wrapped') return wrapped;
  return new InstancesUnionType(wrapped, opts) as unknown as avro.Type;
}

/** The kind of JavaScript value an avsc type reads into (see `unionRepresentation`). */
export function valueKind(type: avro.Type): ValueKind {
  switch (type.typeName) {
    case 'null':
    case 'boolean':
    case 'string':
    case 'array':
    case 'map':
      return type.typeName;
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'logical:time-micros':
      return 'number';
    case 'abstract:long':
      return 'bigint';
    case 'enum':
    case 'logical:date':
      return 'string';
    case 'bytes':
    case 'fixed':
      return 'buffer';
    case 'record':
    case 'error':
      return `record:${type.name!}`;
    case 'logical:timestamp-millis':
      return 'date';
    case 'logical:decimal':
      return 'decimal';
    default:
      throw new Error(`Unexpected avsc type in a union: ${type.typeName}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a writer's branch into a reader's union

type Inner = { _read: (tap: unknown) => unknown };

const baseTypeName = (type: avro.Type): string => {
  const underlying = avro.Type.isType(type, 'logical') ? (type as avro.types.LogicalType).underlyingType : type;
  return underlying.typeName === 'abstract:long' ? 'long' : underlying.typeName;
};

/**
 * Which reader branch reads a (non-union) writer type, as Java Avro chooses it: the branch of the
 * same name (or alias) for a named type, else the first branch of the same type, and only then the
 * first branch the writer can be promoted to. (avsc alone takes the first branch that can read it,
 * promotions included, so `bytes` written beside a `string` branch would come back a string; and
 * a failed record attempt leaves a broken resolver in its shared registry.)
 */
function resolveBranch(branches: readonly avro.Type[], writer: avro.Type, opts: unknown): { index: number; inner: Inner } | undefined {
  const attempt = (index: number): { index: number; inner: Inner } | undefined => {
    try {
      return { index, inner: branches[index]!.createResolver(writer, opts as never) as unknown as Inner };
    } catch {
      return undefined;
    }
  };
  const named = writer.name;
  if (named !== undefined) {
    const index = branches.findIndex((b) => b.name === named || (b.aliases ?? []).includes(named));
    return index === -1 ? undefined : attempt(index);
  }
  const writerName = baseTypeName(writer);
  const exact = branches.findIndex((b) => b.name === undefined && baseTypeName(b) === writerName);
  if (exact !== -1) {
    const found = attempt(exact);
    if (found !== undefined) return found;
  }
  for (let index = 0; index < branches.length; index += 1) {
    if (branches[index]!.name !== undefined) continue;
    const found = attempt(index);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** avsc's unwrapped union, resolving writer branches as Java does. */
class NativeUnionType extends avro.types.UnwrappedUnionType {
  _update(resolver: { _read: (tap: unknown) => unknown }, writer: avro.Type, opts: unknown): void {
    const found = resolveBranch(this.types, writer, opts);
    if (found !== undefined) resolver._read = (tap) => found.inner._read(tap);
  }
}

/** avsc's wrapped union, resolving writer branches as Java does. */
class WrappedUnionType extends avro.types.WrappedUnionType {
  _update(resolver: { _read: (tap: unknown) => unknown }, writer: avro.Type, opts: unknown): void {
    const found = resolveBranch(this.types, writer, opts);
    if (found === undefined) return;
    const Branch = (this.types[found.index] as unknown as { _branchConstructor: (new (value: unknown) => unknown) | null })._branchConstructor;
    resolver._read = Branch === null ? () => null : (tap) => new Branch(found.inner._read(tap));
  }
}

// ---------------------------------------------------------------------------------------------
// Unions whose values avsc cannot tell apart unwrapped, but mephisto can (records by class).

const LogicalTypeBase = avro.types.LogicalType as unknown as new (schema: unknown, opts?: unknown) => {
  readonly underlyingType: avro.Type;
};

type Branch = { readonly name: string; readonly type: avro.Type; readonly kind: ValueKind };

class InstancesUnionType extends LogicalTypeBase {
  readonly #branches: readonly Branch[];

  constructor(wrapped: avro.Type, opts: unknown) {
    super(wrapped, opts);
    (this as unknown as { _logicalTypeName: string })._logicalTypeName = 'mephisto:union';
    this.#branches = (wrapped as unknown as { types: avro.Type[] }).types.map((type) => ({
      name: type.branchName!,
      type,
      kind: valueKind(type),
    }));
  }

  _fromValue(wrapped: unknown): unknown {
    if (wrapped === null) return null;
    for (const key in wrapped as object) return (wrapped as Record<string, unknown>)[key];
    return undefined;
  }

  _toValue(value: unknown): unknown {
    const branch = this.branchOf(value);
    if (branch === undefined) return undefined;
    if (branch.kind === 'null') return null;
    return { [branch.name]: value };
  }

  _resolve(): undefined {
    return undefined;
  }

  _update(resolver: { _read: (tap: unknown) => unknown }, writer: avro.Type, opts: unknown): void {
    const found = resolveBranch(this.#branches.map((branch) => branch.type), writer, opts);
    if (found !== undefined) resolver._read = (tap) => found.inner._read(tap);
  }

  /** The branch a value belongs to: by JavaScript kind, records by generated class. */
  branchOf(value: unknown): Branch | undefined {
    const kind = kindOfValue(value);
    if (kind !== 'object') return this.#branches.find((branch) => branch.kind === kind);
    const records = this.#branches.filter((branch) => branch.kind.startsWith('record:'));
    for (const branch of records) {
      const model = boundClass(branch.type);
      if (model !== undefined && value instanceof model) return branch;
    }
    // A plain object: a map if there is one, else the one record branch it is valid for.
    const map = this.#branches.find((branch) => branch.kind === 'map');
    if (map !== undefined) return map;
    const valid = records.filter((branch) => branch.type.isValid(value));
    return valid.length === 1 ? valid[0] : undefined;
  }
}

function kindOfValue(value: unknown): ValueKind | 'object' | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return typeof value as ValueKind;
    case 'object':
      if (Array.isArray(value)) return 'array';
      if (Buffer.isBuffer(value)) return 'buffer';
      if (value instanceof Date) return 'date';
      if (Decimal.isDecimal(value)) return 'decimal';
      return 'object';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Binding generated classes

const boundClasses = new WeakMap<avro.Type, abstract new (...args: never[]) => unknown>();

/** The generated class a record type is bound to, if any. */
export function boundClass(type: avro.Type): (abstract new (...args: never[]) => unknown) | undefined {
  return boundClasses.get(type);
}

/**
 * Makes the values avsc decodes for `model.type` instances of `model`: avsc builds one constructor
 * per record type, with an empty prototype (`omitRecordMethods`); chaining that prototype to the
 * class's prototype gives decoded values the class's methods and `instanceof`, without a second
 * allocation or copy. This holds wherever the record appears (nested, in arrays, maps, unions) and
 * when reading through a resolver, which builds values with the same constructor.
 */
export function bindModel(model: abstract new (...args: never[]) => unknown, type: avro.Type): void {
  const record = (type as unknown as { recordConstructor?: { prototype: object } }).recordConstructor;
  if (record === undefined) throw new Error(`Cannot bind ${model.name}: ${type.name ?? type.typeName} is not a record type`);
  Object.setPrototypeOf(record.prototype, model.prototype);
  Object.defineProperty(record.prototype, 'constructor', { value: model, writable: true, configurable: true, enumerable: false });
  boundClasses.set(type, model);
}
