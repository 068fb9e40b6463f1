import type { Field, NamedType, SchemaSet, TypeRef } from '../model.js';

/**
 * Avro schema JSON written back from the model, in a stable form: names are full names, attributes
 * in a fixed order, each named type defined where it first appears and referenced by full name
 * after. Docs, aliases, defaults, orders and logical types are kept: they are part of the schema;
 * so are attributes the spec does not define (`connect.name`, `maxLength`, ...), after the
 * others, in their order in the source.
 */
export class SchemaWriter {
  readonly #set: SchemaSet;
  readonly #defined: Set<string>;

  constructor(set: SchemaSet, defined: Set<string> = new Set()) {
    this.#set = set;
    this.#defined = defined;
  }

  /** A named type's schema, self-contained when the writer starts fresh. */
  named(fullName: string, namespace = ''): unknown {
    return this.type({ kind: 'named', fullName }, namespace);
  }

  type(ref: TypeRef, namespace: string): unknown {
    switch (ref.kind) {
      case 'primitive': {
        if (ref.logicalType === undefined && ref.attributes === undefined) return ref.name;
        return { type: ref.name, ...(ref.logicalType === undefined ? {} : { logicalType: ref.logicalType }), ...ref.attributes };
      }
      case 'array':
        return { type: 'array', items: this.type(ref.items, namespace), ...ref.attributes };
      case 'map':
        return { type: 'map', values: this.type(ref.values, namespace), ...ref.attributes };
      case 'union':
        return ref.branches.map((branch) => this.type(branch, namespace));
      case 'named': {
        if (this.#defined.has(ref.fullName)) return ref.fullName;
        this.#defined.add(ref.fullName);
        return this.definition(this.#set.byName.get(ref.fullName)!, namespace);
      }
    }
  }

  definition(type: NamedType, namespace: string): unknown {
    const head: Record<string, unknown> = { type: type.kind === 'record' && type.isError ? 'error' : type.kind, name: type.fullName };
    // A null-namespace type inside a namespaced one must say so, or its name would be qualified.
    if (type.namespace === '' && namespace !== '') head.namespace = '';
    if (type.doc !== undefined) head.doc = type.doc;
    if (type.aliases.length > 0) head.aliases = type.aliases;
    switch (type.kind) {
      case 'enum':
        return { ...head, symbols: type.symbols, ...(type.default === undefined ? {} : { default: type.default }), ...type.attributes };
      case 'fixed':
        return { ...head, size: type.size, ...(type.logicalType === undefined ? {} : { logicalType: type.logicalType }), ...type.attributes };
      case 'record':
        return { ...head, fields: type.fields.map((field) => this.field(field, type.namespace)), ...type.attributes };
    }
  }

  field(field: Field, namespace: string): unknown {
    return {
      name: field.name,
      type: this.type(field.type, namespace),
      ...(field.doc === undefined ? {} : { doc: field.doc }),
      ...(field.default === undefined ? {} : { default: field.default.json }),
      ...(field.order === undefined ? {} : { order: field.order }),
      ...(field.aliases.length === 0 ? {} : { aliases: field.aliases }),
      ...field.attributes,
    };
  }
}

/**
 * Every named type of the set as a list of definitions for one shared registry: each type is
 * defined once, where first met, so that references across files (even cycles) resolve.
 */
export function registryDefinitions(set: SchemaSet): unknown[] {
  const defined = new Set<string>();
  const writer = new SchemaWriter(set, defined);
  const definitions: unknown[] = [];
  for (const type of set.types) {
    if (!defined.has(type.fullName)) definitions.push(writer.named(type.fullName));
  }
  return definitions;
}

/**
 * JSON as a TypeScript expression (the writer indents its lines to where it is written): a value
 * that fits in the line stays on one line, larger ones are laid out one member a line. Compact
 * enough for 200-schema sets, and still one field a line in review diffs.
 */
export function jsonLiteral(json: unknown, depth = 0, column = 0, width = 100): string {
  const flat = JSON.stringify(json);
  if (typeof json !== 'object' || json === null || flat.length + column <= width) return flat;
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(json)) {
    return `[\n${json.map((item) => `${pad}${jsonLiteral(item, depth + 1, pad.length, width)}`).join(',\n')}\n${end}]`;
  }
  const members = Object.entries(json).map(([key, value]) => {
    const head = `${pad}${JSON.stringify(key)}: `;
    return `${head}${jsonLiteral(value, depth + 1, head.length, width)}`;
  });
  return `{\n${members.join(',\n')}\n${end}}`;
}
