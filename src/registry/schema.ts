import avro from 'avsc';
import type { Type } from 'avsc';
import type { AvroSchemaJSON } from '../serde/codec.js';

/**
 * Parses an Avro schema whose named types may come from other schemas (registry references):
 * `referenced` are parsed first, in order, into one avsc registry, so the main schema can name them.
 */
export function parseAvro(schema: AvroSchemaJSON, referenced: readonly AvroSchemaJSON[] = []): Type {
  const registry: Record<string, Type> = {};
  for (const dependency of referenced) {
    avro.Type.forSchema(dependency as avro.Schema, { registry });
  }
  return avro.Type.forSchema(schema as avro.Schema, { registry });
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

  const fullName = (name: string, namespace: string) => (name.includes('.') || namespace === '' ? name : `${namespace}.${name}`);

  const walk = (json: Json, namespace: string): Json => {
    if (typeof json === 'string') {
      if (primitives.has(json)) return json;
      const name = [fullName(json, namespace), json].find((candidate) => available.has(candidate) || defined.has(candidate));
      if (name === undefined || defined.has(name)) return json;
      const dependency = available.get(name)!;
      // Standalone, the dependency's names are relative to its own namespace (the null one when it
      // has none): say so explicitly, or it would inherit the namespace of where it lands.
      const own = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
      return walk({ ...dependency, name: name.slice(name.lastIndexOf('.') + 1), namespace: own }, namespace);
    }
    if (Array.isArray(json)) return json.map((branch) => walk(branch, namespace));
    if (!isObject(json)) return json;
    const type = json.type;
    if (typeof type !== 'string') return { ...json, type: walk(type, namespace) };
    if (type === 'array') return { ...json, items: walk(json.items, namespace) };
    if (type === 'map') return { ...json, values: walk(json.values, namespace) };
    if (!namedKinds.has(type) || typeof json.name !== 'string') return json;
    const own = json.name.includes('.')
      ? json.name.slice(0, json.name.lastIndexOf('.'))
      : typeof json.namespace === 'string' ? json.namespace : namespace;
    defined.add(fullName(json.name, own));
    if ((type === 'record' || type === 'error') && Array.isArray(json.fields)) {
      return {
        ...json,
        fields: json.fields.map((field) => (isObject(field) ? { ...field, type: walk(field.type, own) } : field)),
      };
    }
    return json;
  };

  return walk(schema, '') as AvroSchemaJSON;
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
  const fullName = (name: string, namespace: string) => (name.includes('.') || namespace === '' ? name : `${namespace}.${name}`);
  const walk = (json: Json, namespace: string): Json => {
    if (typeof json === 'string') return primitives.has(json) ? json : fullName(json, namespace);
    if (Array.isArray(json)) return json.map((branch) => walk(branch, namespace));
    if (!isObject(json)) return json;
    const type = json.type;
    if (typeof type !== 'string') return { ...json, type: walk(type, namespace) };
    if (type === 'array') return { ...json, items: walk(json.items, namespace) };
    if (type === 'map') return { ...json, values: walk(json.values, namespace) };
    if (!namedKinds.has(type) || typeof json.name !== 'string') return json;
    const own = json.name.includes('.')
      ? json.name.slice(0, json.name.lastIndexOf('.'))
      : typeof json.namespace === 'string' ? json.namespace : namespace;
    const { namespace: _namespace, ...rest } = json;
    const named: JsonObject = { ...rest, name: fullName(json.name.slice(json.name.lastIndexOf('.') + 1), own) };
    if (Array.isArray(json.fields)) {
      named.fields = json.fields.map((field) => (isObject(field) ? { ...field, type: walk(field.type, own) } : field));
    }
    return named;
  };
  return stableJson(walk(schema, ''));
}
