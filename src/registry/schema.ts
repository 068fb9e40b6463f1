import avro from 'avsc';
import type { Type } from 'avsc';
import type { AvroSchemaJSON } from '../serde/codec.js';
import { logicalTypeOptions } from '../avro/types.js';

/**
 * Parses an Avro schema whose named types may come from other schemas (registry references):
 * `referenced` are parsed first, in order, into one avsc registry, so the main schema can name them.
 */
export function parseAvro(schema: AvroSchemaJSON, referenced: readonly AvroSchemaJSON[] = []): Type {
  const registry: Record<string, Type> = {};
  // mephisto's logical types: a decimal resolves (and is compatible) only with the same precision and scale
  const options = logicalTypeOptions(registry);
  for (const dependency of referenced) {
    avro.Type.forSchema(dependency as avro.Schema, options);
  }
  return avro.Type.forSchema(schema as avro.Schema, options);
}

/** The self-contained schema of a type: every named type inlined where first used, attributes kept. */
export function selfContainedSchema(type: Type): AvroSchemaJSON {
  return type.schema({ exportAttrs: true }) as AvroSchemaJSON;
}

/** A schema as the text a registry stores (`"string"` for a primitive, the JSON of a record). */
export function schemaText(schema: AvroSchemaJSON): string {
  return JSON.stringify(schema);
}

/** Parses a registry's schema text back into JSON (Confluent stores `"string"` as a JSON string). */
export function parseSchemaText(text: string): AvroSchemaJSON {
  return JSON.parse(text) as AvroSchemaJSON;
}

/** The full name of a named schema (record, enum, fixed), or undefined for primitives and the like. */
export function namedTypeName(schema: AvroSchemaJSON): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const object = schema as { type?: unknown; name?: unknown; namespace?: unknown };
  if (!['record', 'error', 'enum', 'fixed'].includes(object.type as string) || typeof object.name !== 'string') {
    return undefined;
  }
  if (object.name.includes('.') || typeof object.namespace !== 'string' || object.namespace === '') return object.name;
  return `${object.namespace}.${object.name}`;
}

type Json = unknown;
type JsonObject = { [key: string]: Json };
const isObject = (json: Json): json is JsonObject => typeof json === 'object' && json !== null && !Array.isArray(json);
const primitives = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const namedKinds = new Set(['record', 'error', 'enum', 'fixed']);
const fullName = (name: string, namespace: string) => (name.includes('.') || namespace === '' ? name : `${namespace}.${name}`);

/**
 * Rebuilds a schema's JSON, handing each reference by name (a non-primitive string) and each named
 * type definition to the caller, and recursing everywhere else (unions, arrays, maps, fields) with
 * Avro's namespace rules. `named` gets the definition, its own namespace, and a function that maps
 * its fields (record and error types; undefined for the others).
 */
function mapSchema(
  json: Json,
  namespace: string,
  visit: {
    reference(name: string, namespace: string): Json;
    named(definition: JsonObject & { name: string }, own: string, mapFields: () => Json[] | undefined): Json;
  },
): Json {
  const walk = (node: Json, ns: string): Json => {
    if (typeof node === 'string') return primitives.has(node) ? node : visit.reference(node, ns);
    if (Array.isArray(node)) return node.map((branch) => walk(branch, ns));
    if (!isObject(node)) return node;
    const type = node.type;
    if (typeof type !== 'string') return { ...node, type: walk(type, ns) };
    if (type === 'array') return { ...node, items: walk(node.items, ns) };
    if (type === 'map') return { ...node, values: walk(node.values, ns) };
    if (!namedKinds.has(type) || typeof node.name !== 'string') return node;
    const name = node.name;
    const own = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof node.namespace === 'string' ? node.namespace : ns;
    const fields = node.fields;
    const mapFields = () =>
      (type === 'record' || type === 'error') && Array.isArray(fields)
        ? fields.map((field) => (isObject(field) ? { ...field, type: walk(field.type, own) } : field))
        : undefined;
    return visit.named(node as JsonObject & { name: string }, own, mapFields);
  };
  return walk(json, namespace);
}

/**
 * Inlines the named types a schema takes from registry references, at their first use, so that the
 * schema stands alone. Works on the JSON, so nothing is lost (docs, enum defaults, logical-type
 * attributes, custom properties), which a round trip through avsc would drop. `referenced` are the
 * referenced schemas (also the references of references), each a named type.
 */
export function inlineReferences(schema: AvroSchemaJSON, referenced: readonly AvroSchemaJSON[]): AvroSchemaJSON {
  const available = new Map<string, JsonObject>();
  for (const dependency of referenced) {
    const name = namedTypeName(dependency);
    if (name !== undefined && isObject(dependency)) available.set(name, dependency);
  }
  const defined = new Set<string>();

  const visitor = {
    reference(reference: string, namespace: string): Json {
      const name = [fullName(reference, namespace), reference].find((candidate) => available.has(candidate) || defined.has(candidate));
      if (name === undefined || defined.has(name)) return reference;
      const dependency = available.get(name)!;
      // Standalone, the dependency's names are relative to its own namespace (the null one when it
      // has none): say so explicitly, or it would inherit the namespace of where it lands.
      const own = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
      return mapSchema({ ...dependency, name: name.slice(name.lastIndexOf('.') + 1), namespace: own }, namespace, visitor);
    },
    named(definition: JsonObject & { name: string }, own: string, mapFields: () => Json[] | undefined): Json {
      defined.add(fullName(definition.name, own));
      const fields = mapFields();
      return fields === undefined ? definition : { ...definition, fields };
    },
  };
  return mapSchema(schema, '', visitor) as AvroSchemaJSON;
}

/** JSON text with object keys sorted, so that equal schemas give equal text whatever their key order. */
export function stableJson(json: unknown): string {
  return JSON.stringify(json, (_key, value: unknown) =>
    isObject(value) ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]])) : value,
  );
}

/**
 * A schema's identity, as Confluent's registry compares schemas: names written in full (a
 * `namespace` attribute or a short name in a namespace means the same as the full name), object
 * keys in any order. Everything else (docs, defaults, aliases, custom attributes) counts.
 */
export function schemaIdentity(schema: AvroSchemaJSON): string {
  const identity = mapSchema(schema, '', {
    reference: (name, namespace) => fullName(name, namespace),
    named({ namespace: _namespace, ...rest }, own, mapFields) {
      const named: JsonObject = { ...rest, name: fullName(rest.name.slice(rest.name.lastIndexOf('.') + 1), own) };
      const fields = mapFields();
      if (fields !== undefined) named.fields = fields;
      return named;
    },
  });
  return stableJson(identity);
}
