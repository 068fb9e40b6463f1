import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { decimalParams } from '../src/avro/logical.js';
import type {
  EnumType,
  Field,
  FixedType,
  Location,
  NamedType,
  OwnLogical,
  PrimitiveName,
  PrimitiveRef,
  RecordType,
  SchemaSet,
  Topic,
  TopicPart,
  TypeRef,
} from './model.js';
import { defaultProblem } from './defaults.js';
import { Problems, at } from './problems.js';
import { modulePath, topicIdentifier } from './names.js';

/** A schema file's path (relative to the schema directory, `/`-separated) and text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export const primitiveNames: ReadonlySet<string> = new Set<PrimitiveName>([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);
const namedKinds = new Set(['record', 'error', 'enum', 'fixed']);
const avroName = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Json = unknown;
type JsonObject = Record<string, Json>;
const isObject = (json: Json): json is JsonObject => typeof json === 'object' && json !== null && !Array.isArray(json);

interface Definition {
  readonly fullName: string;
  readonly namespace: string;
  readonly json: JsonObject;
  readonly location: Location;
}

/**
 * The resolve pass: parses every schema file and the topic manifest, collects every named type
 * (in any file order), resolves references, checks names and defaults, and builds the model.
 * Returns the model, or every problem found.
 */
export function resolveSchemas(
  files: readonly SourceFile[],
  manifest?: SourceFile,
): { readonly set: SchemaSet; readonly problems: readonly [] } | { readonly set?: undefined; readonly problems: readonly import('./problems.js').SchemaProblem[] } {
  const problems = new Problems();
  const definitions = new Map<string, Definition>();
  const roots: { json: Json; location: Location }[] = [];

  for (const file of [...files].sort((a, b) => compare(a.path, b.path))) {
    const json = parseJson(file, problems);
    if (json === undefined) continue;
    const location = { file: file.path, path: '$' };
    const tops = Array.isArray(json) ? json.map((item, i) => ({ json: item, location: at(location, i) })) : [{ json, location }];
    for (const top of tops) {
      if (!isObject(top.json) || !namedKinds.has(top.json.type as string)) {
        problems.add(top.location, 'a schema file must hold a named type (record, enum, fixed) or an array of them');
        continue;
      }
      roots.push(top);
      collect(top.json, '', top.location, definitions, problems);
    }
  }

  const resolver = new Resolver(definitions, problems);
  for (const root of roots) resolver.type(root.json, '', root.location);
  const types = [...resolver.named.values()].sort((a, b) => compare(a.fullName, b.fullName));
  const byName = new Map(types.map((type) => [type.fullName, type]));
  checkModulePaths(types, problems);
  const topics = manifest === undefined ? [] : resolveTopics(manifest, byName, problems);
  for (const type of [...types, ...resolver.duplicates]) {
    if (type.kind !== 'record') continue;
    for (const field of type.fields) {
      if (field.default === undefined) continue;
      const problem = defaultProblem(field.type, field.default.json, byName);
      if (problem !== undefined) problems.add(at(field.location, 'default'), `invalid default for field "${field.name}": ${problem}`);
    }
  }

  if (!problems.empty) {
    const sorted = problems.list.map((problem, i) => ({ problem, i }));
    sorted.sort((a, b) => compare(a.problem.file, b.problem.file) || compare(a.problem.path, b.problem.path) || a.i - b.i);
    return { problems: sorted.map(({ problem }) => problem) };
  }
  return { set: { types, byName, topics }, problems: [] };
}

/**
 * Two types whose modules would be one file (`index` and `index_` in the null namespace, or
 * `a.Foo` and `a.foo` on a case-insensitive file system): one module would silently overwrite the
 * other, differently on different machines.
 */
function checkModulePaths(types: readonly NamedType[], problems: Problems): void {
  const byPath = new Map<string, NamedType>();
  for (const type of types) {
    const path = modulePath(type).toLowerCase();
    const other = byPath.get(path);
    if (other === undefined) byPath.set(path, type);
    else problems.add(type.location, `${type.fullName} and ${other.fullName} (${other.location.file}) would both be generated as ${modulePath(type)} (file names are compared without case); rename one of them`);
  }
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseJson(file: SourceFile, problems: Problems): Json | undefined {
  try {
    return JSON.parse(file.text) as Json;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problems.add({ file: file.path, path: '$' }, `unreadable JSON${jsonErrorPlace(file)}: ${message}`);
    return undefined;
  }
}

/** Where JSON text goes wrong, as " at line L, column C" (JSON.parse does not always say). */
function jsonErrorPlace(file: SourceFile): string {
  const errors: ParseError[] = [];
  parseTree(file.text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (first === undefined) return '';
  const before = file.text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column} (${printParseErrorCode(first.error)})`;
}

/** The full name and namespace a named definition gets in a namespace context. */
function fullNameOf(json: JsonObject, namespace: string): { fullName: string; namespace: string } | undefined {
  const name = json.name;
  if (typeof name !== 'string') return undefined;
  if (name.includes('.')) return { fullName: name, namespace: name.slice(0, name.lastIndexOf('.')) };
  const own = typeof json.namespace === 'string' ? json.namespace : namespace;
  return { fullName: own === '' ? name : `${own}.${name}`, namespace: own };
}

/** Pass 1: every named type defined anywhere, so that references resolve in any file order. */
function collect(json: Json, namespace: string, location: Location, definitions: Map<string, Definition>, problems: Problems): void {
  if (Array.isArray(json)) {
    json.forEach((branch, i) => collect(branch, namespace, at(location, i), definitions, problems));
    return;
  }
  if (!isObject(json)) return;
  const type = json.type;
  if (typeof type !== 'string') {
    collect(type, namespace, at(location, 'type'), definitions, problems);
    return;
  }
  if (type === 'array') collect(json.items, namespace, at(location, 'items'), definitions, problems);
  if (type === 'map') collect(json.values, namespace, at(location, 'values'), definitions, problems);
  if (!namedKinds.has(type)) return;
  const named = fullNameOf(json, namespace);
  if (named === undefined) {
    problems.add(at(location, 'name'), `a ${type} needs a "name" (a string)`);
    return;
  }
  const badPart = named.fullName.split('.').find((part) => !avroName.test(part));
  if (badPart !== undefined) {
    problems.add(
      at(location, 'name'),
      `invalid name "${named.fullName}": each part must match [A-Za-z_][A-Za-z0-9_]* ("${badPart}" does not)`,
    );
    return;
  }
  if (primitiveNames.has(named.fullName)) {
    problems.add(at(location, 'name'), `invalid name "${named.fullName}": a named type cannot take a primitive type's name`);
    return;
  }
  const previous = definitions.get(named.fullName);
  if (previous !== undefined) {
    problems.add(
      at(location, 'name'),
      `duplicate full name ${named.fullName}: already defined in ${previous.location.file} at ${previous.location.path}; rename one or put it in another namespace`,
    );
  } else {
    definitions.set(named.fullName, { ...named, json, location });
  }
  // a duplicate's body is collected and checked too: every problem in one run
  if ((type === 'record' || type === 'error') && Array.isArray(json.fields)) {
    json.fields.forEach((field, i) => {
      if (isObject(field)) collect(field.type, named.namespace, at(location, 'fields', i, 'type'), definitions, problems);
    });
  }
}

class Resolver {
  readonly named = new Map<string, NamedType>();
  /** Bodies of duplicate definitions, resolved for their problems (see `checkDuplicate`). */
  readonly duplicates: NamedType[] = [];
  readonly #definitions: ReadonlyMap<string, Definition>;
  readonly #problems: Problems;

  constructor(definitions: ReadonlyMap<string, Definition>, problems: Problems) {
    this.#definitions = definitions;
    this.#problems = problems;
  }

  /** Pass 2: a schema JSON to a TypeRef, defining the named types met on the way. */
  type(json: Json, namespace: string, location: Location): TypeRef {
    if (typeof json === 'string') return this.reference(json, namespace, location);
    if (Array.isArray(json)) return this.union(json, namespace, location);
    if (!isObject(json)) {
      this.#problems.add(location, `invalid schema ${JSON.stringify(json)}: expected a type name, an object or a union array`);
      return { kind: 'primitive', name: 'null' };
    }
    const type = json.type;
    if (typeof type !== 'string') {
      if (Array.isArray(type) || isObject(type)) return this.type(type, namespace, at(location, 'type'));
      this.#problems.add(at(location, 'type'), 'missing or invalid "type"');
      return { kind: 'primitive', name: 'null' };
    }
    if (primitiveNames.has(type)) return this.primitive(type as PrimitiveName, json, location);
    switch (type) {
      case 'array': {
        if (json.items === undefined) this.#problems.add(location, 'an array needs "items"');
        const attributes = this.attributes(json, ARRAY_KEYS, location);
        return { kind: 'array', items: this.type(json.items ?? 'null', namespace, at(location, 'items')), ...(attributes === undefined ? {} : { attributes }) };
      }
      case 'map': {
        if (json.values === undefined) this.#problems.add(location, 'a map needs "values"');
        const attributes = this.attributes(json, MAP_KEYS, location);
        return { kind: 'map', values: this.type(json.values ?? 'null', namespace, at(location, 'values')), ...(attributes === undefined ? {} : { attributes }) };
      }
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed': {
        const named = fullNameOf(json, namespace);
        if (named === undefined) return { kind: 'primitive', name: 'null' };
        const definition = this.#definitions.get(named.fullName);
        // Only the definition collected for this very object defines the type (not a duplicate).
        if (definition !== undefined && definition.json === json && !this.named.has(named.fullName)) this.define(definition);
        else if (definition !== undefined && definition.json !== json) this.checkDuplicate({ ...named, json, location });
        return { kind: 'named', fullName: named.fullName };
      }
      default:
        // A bare reference written as {"type": "com.acme.Name"}.
        return this.reference(type, namespace, at(location, 'type'));
    }
  }

  reference(name: string, namespace: string, location: Location): TypeRef {
    if (primitiveNames.has(name)) return { kind: 'primitive', name: name as PrimitiveName };
    const fullName = name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
    if (this.#definitions.has(fullName)) return { kind: 'named', fullName };
    if (fullName !== name && this.#definitions.has(name)) return { kind: 'named', fullName: name };
    const hint = fullName === name ? '' : ` (looked for ${fullName})`;
    this.#problems.add(location, `unknown type name "${name}"${hint}: define it in a schema file, or check its namespace`);
    return { kind: 'primitive', name: 'null' };
  }

  primitive(name: PrimitiveName, json: JsonObject, location: Location): PrimitiveRef {
    const logicalType = json.logicalType;
    const attributes = this.attributes(json, PRIMITIVE_KEYS, location);
    if (typeof logicalType !== 'string') return { kind: 'primitive', name, ...(attributes === undefined ? {} : { attributes }) };
    const logical = ownLogical(logicalType, name, json);
    return {
      kind: 'primitive',
      name,
      logicalType,
      ...(attributes === undefined ? {} : { attributes }),
      ...(logical === undefined ? {} : { logical }),
    };
  }

  union(json: readonly Json[], namespace: string, location: Location): TypeRef {
    const branches = json.map((branch, i) => this.type(branch, namespace, at(location, i)));
    if (branches.length === 0) this.#problems.add(location, 'an empty union has no values; give it at least one branch');
    const seen = new Map<string, number>();
    branches.forEach((branch, i) => {
      if (branch.kind === 'union') {
        this.#problems.add(at(location, i), 'a union cannot directly contain another union; merge the branches');
        return;
      }
      const key = branch.kind === 'named' ? branch.fullName : branch.kind === 'primitive' ? branch.name : branch.kind;
      const first = seen.get(key);
      if (first !== undefined) {
        this.#problems.add(at(location, i), `a union cannot hold two branches of type ${key} (branches ${first} and ${i})`);
      } else {
        seen.set(key, i);
      }
    });
    return { kind: 'union', branches };
  }

  /**
   * Resolves a duplicate definition's body for its problems only (the name is reported already):
   * the type it defines is kept in `duplicates`, for the checks run on every type, never in `named`.
   */
  checkDuplicate(definition: Definition): void {
    const original = this.named.get(definition.fullName);
    this.define(definition);
    this.duplicates.push(this.named.get(definition.fullName)!);
    if (original === undefined) this.named.delete(definition.fullName);
    else this.named.set(definition.fullName, original);
  }

  /** The attributes of `json` not in `known`, in their order; undefined when there are none. */
  attributes(json: JsonObject, known: ReadonlySet<string>, location: Location): Record<string, unknown> | undefined {
    let other: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(json)) {
      if (known.has(key) || value === undefined) continue;
      const proto = protoPath(key, value);
      if (proto !== undefined) {
        // kept, it would be written as `"__proto__": ...` in an object literal: a prototype, not a key
        this.#problems.add(at(location, ...proto), 'an attribute named "__proto__" cannot be kept in the generated schema (in JavaScript it sets an object\'s prototype); rename it');
        continue;
      }
      (other ??= {})[key] = value;
    }
    return other;
  }

  define(definition: Definition): void {
    const { json, location, fullName, namespace } = definition;
    const name = fullName.slice(fullName.lastIndexOf('.') + 1);
    const doc = typeof json.doc === 'string' ? json.doc : undefined;
    const aliases = this.aliases(json.aliases, namespace, at(location, 'aliases'));
    const attributes = this.attributes(json, NAMED_KEYS[json.type === 'enum' ? 'enum' : json.type === 'fixed' ? 'fixed' : 'record'], location);
    const base = { fullName, name, namespace, aliases, location, ...(doc === undefined ? {} : { doc }), ...(attributes === undefined ? {} : { attributes }) };
    switch (json.type) {
      case 'enum': {
        const type = this.enumType(base, json, location);
        this.named.set(fullName, type);
        return;
      }
      case 'fixed': {
        const size = json.size;
        if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
          this.#problems.add(at(location, 'size'), `a fixed needs a "size" (a non-negative integer), got ${JSON.stringify(size)}`);
        }
        const logicalType = typeof json.logicalType === 'string' ? json.logicalType : undefined;
        const logical = logicalType === undefined ? undefined : ownLogical(logicalType, 'fixed', json);
        const type: FixedType = {
          kind: 'fixed',
          ...base,
          size: typeof size === 'number' ? size : 0,
          ...(logicalType === undefined ? {} : { logicalType }),
          ...(logical === undefined ? {} : { logical }),
        };
        this.named.set(fullName, type);
        return;
      }
      default: {
        // Registered before its fields so that recursive references find it.
        const fields: Field[] = [];
        const type: RecordType = { kind: 'record', ...base, isError: json.type === 'error', fields };
        this.named.set(fullName, type);
        if (!Array.isArray(json.fields)) {
          this.#problems.add(at(location, 'fields'), 'a record needs "fields" (an array)');
          return;
        }
        const names = new Set<string>();
        json.fields.forEach((fieldJson, i) => {
          const fieldLocation = at(location, 'fields', i);
          const field = this.field(fieldJson, namespace, fieldLocation);
          if (field === undefined) return;
          if (names.has(field.name)) {
            this.#problems.add(at(fieldLocation, 'name'), `duplicate field name "${field.name}" in ${fullName}`);
            return;
          }
          names.add(field.name);
          fields.push(field);
        });
      }
    }
  }

  field(json: Json, namespace: string, location: Location): Field | undefined {
    if (!isObject(json)) {
      this.#problems.add(location, 'a field must be an object with "name" and "type"');
      return undefined;
    }
    const name = json.name;
    if (typeof name !== 'string' || !avroName.test(name)) {
      this.#problems.add(at(location, 'name'), `invalid field name ${JSON.stringify(name)}: it must match [A-Za-z_][A-Za-z0-9_]*`);
      return undefined;
    }
    if (name === '__proto__') {
      this.#problems.add(at(location, 'name'), 'the field name "__proto__" cannot be a JavaScript property; rename the field (aliases keep old data readable)');
      return undefined;
    }
    if (json.type === undefined) {
      this.#problems.add(location, `field "${name}" needs a "type"`);
      return undefined;
    }
    const type = this.type(json.type, namespace, at(location, 'type'));
    const attributes = this.attributes(json, FIELD_KEYS, location);
    const field: Field = {
      name,
      type,
      ...(attributes === undefined ? {} : { attributes }),
      aliases: Array.isArray(json.aliases) ? json.aliases.filter((a): a is string => typeof a === 'string') : [],
      location,
      ...(typeof json.doc === 'string' ? { doc: json.doc } : {}),
      ...('default' in json ? { default: { json: json.default } } : {}),
      ...(json.order === 'descending' || json.order === 'ignore' || json.order === 'ascending' ? { order: json.order } : {}),
    };
    if (json.order !== undefined && field.order === undefined) {
      this.#problems.add(at(location, 'order'), `invalid order ${JSON.stringify(json.order)}: use "ascending", "descending" or "ignore"`);
    }
    return field;
  }

  enumType(base: Omit<EnumType, 'kind' | 'symbols'>, json: JsonObject, location: Location): EnumType {
    const symbols: string[] = [];
    if (!Array.isArray(json.symbols)) {
      this.#problems.add(at(location, 'symbols'), 'an enum needs "symbols" (an array of names)');
    } else {
      json.symbols.forEach((symbol, i) => {
        if (typeof symbol !== 'string' || !avroName.test(symbol)) {
          this.#problems.add(at(location, 'symbols', i), `invalid enum symbol ${JSON.stringify(symbol)}: it must match [A-Za-z_][A-Za-z0-9_]*`);
        } else if (symbol in Object.prototype) {
          this.#problems.add(
            at(location, 'symbols', i),
            `enum symbol "${symbol}" is a property of every JavaScript object, which avsc (the Avro library) cannot use as a symbol; rename it`,
          );
        } else if (symbols.includes(symbol)) {
          this.#problems.add(at(location, 'symbols', i), `duplicate enum symbol "${symbol}"`);
        } else {
          symbols.push(symbol);
        }
      });
    }
    if (Array.isArray(json.symbols) && json.symbols.length === 0) {
      this.#problems.add(at(location, 'symbols'), 'an enum needs at least one symbol');
    }
    const fallback = json.default;
    if (fallback !== undefined && (typeof fallback !== 'string' || !symbols.includes(fallback))) {
      this.#problems.add(at(location, 'default'), `invalid default ${JSON.stringify(fallback)}: the enum default must be one of its symbols`);
    }
    return { kind: 'enum', ...base, symbols, ...(typeof fallback === 'string' && symbols.includes(fallback) ? { default: fallback } : {}) };
  }

  aliases(json: Json, namespace: string, location: Location): string[] {
    if (json === undefined) return [];
    if (!Array.isArray(json) || json.some((alias) => typeof alias !== 'string')) {
      this.#problems.add(location, '"aliases" must be an array of names');
      return [];
    }
    return (json as string[]).map((alias) => (alias.includes('.') || namespace === '' ? alias : `${namespace}.${alias}`));
  }
}

/** The attributes each kind of schema object defines; any other is kept as metadata (`attributes`). */
const PRIMITIVE_KEYS: ReadonlySet<string> = new Set(['type', 'logicalType']);
const ARRAY_KEYS: ReadonlySet<string> = new Set(['type', 'items']);
const MAP_KEYS: ReadonlySet<string> = new Set(['type', 'values']);
const FIELD_KEYS: ReadonlySet<string> = new Set(['name', 'type', 'doc', 'default', 'order', 'aliases']);
const NAMED_KEYS: Readonly<Record<'record' | 'enum' | 'fixed', ReadonlySet<string>>> = {
  record: new Set(['type', 'name', 'namespace', 'doc', 'aliases', 'fields']),
  enum: new Set(['type', 'name', 'namespace', 'doc', 'aliases', 'symbols', 'default']),
  fixed: new Set(['type', 'name', 'namespace', 'doc', 'aliases', 'size', 'logicalType']),
};

/** Where in `value` (an attribute named `key`) a key `__proto__` is, if anywhere. */
function protoPath(key: string | number, value: unknown): (string | number)[] | undefined {
  if (key === '__proto__') return [key];
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [inner, item] of Object.entries(value)) {
    const path = protoPath(Array.isArray(value) ? Number(inner) : inner, item);
    if (path !== undefined) return [key, ...path];
  }
  return undefined;
}

function ownLogical(logicalType: string, underlying: string, json: JsonObject): OwnLogical | undefined {
  switch (logicalType) {
    case 'decimal': {
      const params = decimalParams({ ...json, type: underlying });
      return params === undefined ? undefined : { name: 'decimal', ...params };
    }
    case 'timestamp-millis':
      return underlying === 'long' ? { name: 'timestamp-millis' } : undefined;
    case 'date':
      return underlying === 'int' ? { name: 'date' } : undefined;
    case 'time-micros':
      return underlying === 'long' ? { name: 'time-micros' } : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The topic manifest

const topicName = /^[A-Za-z0-9._-]{1,249}$/;
const topicKeys = new Set(['key', 'value', 'partitions', 'replicationFactor', 'config', 'doc']);

function resolveTopics(manifest: SourceFile, byName: ReadonlyMap<string, NamedType>, problems: Problems): Topic[] {
  const json = parseJson(manifest, problems);
  if (json === undefined) return [];
  const root = { file: manifest.path, path: '$' };
  if (!isObject(json) || !isObject(json.topics)) {
    problems.add(root, 'the topic manifest must be an object with "topics": { "<topic name>": { "key": ..., "value": ... } }');
    return [];
  }
  for (const key of Object.keys(json)) if (key !== 'topics') problems.add(at(root, key), `unknown manifest key "${key}"; expected only "topics"`);
  const topics: Topic[] = [];
  const identifiers = new Map<string, string>();
  for (const [name, spec] of Object.entries(json.topics).sort(([a], [b]) => compare(a, b))) {
    const location = at(root, 'topics', name);
    if (!topicName.test(name) || name === '.' || name === '..') {
      problems.add(location, `invalid topic name "${name}": use 1 to 249 characters of [A-Za-z0-9._-]`);
      continue;
    }
    // each topic is exported from topics.ts under a camelCase identifier: two may not share one
    const identifier = topicIdentifier(name);
    const other = identifiers.get(identifier);
    if (other !== undefined) {
      problems.add(location, `topics "${other}" and "${name}" would both be exported as \`${identifier}\` from topics.ts; rename one of them`);
      continue;
    }
    identifiers.set(identifier, name);
    if (!isObject(spec)) {
      problems.add(location, 'a topic must be an object with "key" and "value"');
      continue;
    }
    for (const key of Object.keys(spec)) {
      if (!topicKeys.has(key)) problems.add(at(location, key), `unknown topic setting "${key}"; expected ${[...topicKeys].join(', ')}`);
    }
    const key = topicPart(spec.key, byName, at(location, 'key'), problems);
    const value = topicPart(spec.value, byName, at(location, 'value'), problems);
    const partitions = positiveInteger(spec.partitions, at(location, 'partitions'), problems);
    const replicationFactor = positiveInteger(spec.replicationFactor, at(location, 'replicationFactor'), problems);
    let config: Record<string, string> | undefined;
    if (spec.config !== undefined) {
      if (!isObject(spec.config) || Object.values(spec.config).some((v) => typeof v !== 'string')) {
        problems.add(at(location, 'config'), 'topic "config" must be an object of strings, e.g. { "cleanup.policy": "compact", "retention.ms": "604800000" }');
      } else {
        config = Object.fromEntries(Object.entries(spec.config as Record<string, string>).sort(([a], [b]) => compare(a, b)));
      }
    }
    if (spec.doc !== undefined && typeof spec.doc !== 'string') problems.add(at(location, 'doc'), '"doc" must be a string');
    if (key === undefined || value === undefined) continue;
    topics.push({
      name,
      key,
      value,
      location,
      ...(partitions === undefined ? {} : { partitions }),
      ...(replicationFactor === undefined ? {} : { replicationFactor }),
      ...(config === undefined ? {} : { config }),
      ...(typeof spec.doc === 'string' ? { doc: spec.doc } : {}),
    });
  }
  return topics;
}

function positiveInteger(json: Json, location: Location, problems: Problems): number | undefined {
  if (json === undefined) return undefined;
  if (typeof json !== 'number' || !Number.isInteger(json) || json < 1) {
    problems.add(location, `expected a positive integer, got ${JSON.stringify(json)}`);
    return undefined;
  }
  return json;
}

/**
 * A topic's key or value: `"string"` and `"bytes"` are raw (UTF-8 text, bytes as they are), as
 * Kafka keys usually are; any other primitive, or the full name of a named type, is Avro. Write
 * `{ "avro": "string" }` for an Avro-encoded string.
 */
function topicPart(json: Json, byName: ReadonlyMap<string, NamedType>, location: Location, problems: Problems): TopicPart | undefined {
  let avroOnly = false;
  let name = json;
  if (isObject(json) && Object.keys(json).length === 1 && typeof json.avro === 'string') {
    avroOnly = true;
    name = json.avro;
  }
  if (typeof name !== 'string') {
    problems.add(location, 'expected a primitive type name ("string", "long"...), the full name of a named type, or { "avro": "<type>" }');
    return undefined;
  }
  if (!avroOnly && (name === 'string' || name === 'bytes')) return { kind: name };
  if (primitiveNames.has(name)) return { kind: 'avro', type: { kind: 'primitive', name: name as PrimitiveName } };
  if (byName.has(name)) return { kind: 'avro', type: { kind: 'named', fullName: name } };
  const near = [...byName.keys()].filter((candidate) => candidate.endsWith(`.${name}`));
  const hint = near.length > 0 ? `; did you mean ${near.join(' or ')}?` : '; use the full name of a type defined in a schema file';
  problems.add(location, `unknown type "${name}"${hint}`);
  return undefined;
}
