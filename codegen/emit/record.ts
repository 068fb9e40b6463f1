import type { CodeBlockWriter } from 'ts-morph';
import type { RecordType } from '../model.js';
import { docComment } from '../names.js';
import { defaultLiteral, stringLiteral } from './literal.js';
import type { ModuleScope } from './scope.js';
import { jsonType, valueType } from './types.js';

/** Instance members a generated class defines; a field of the same name renames the member to `$name`. */
export const instanceMembers = ['encode', 'toJSON'] as const;

/** The name of an instance member in a given record: `encode`, or `$encode` when a field takes it. */
export function memberName(record: RecordType, member: (typeof instanceMembers)[number]): string {
  return record.fields.some((field) => field.name === member) ? `$${member}` : member;
}

const property = (name: string) => name;

/**
 * A record's module body: an interface (the fields, merged into the class so that names such as
 * `constructor` or `prototype` can be fields), the class (statics, constructor, methods, the
 * nominal brand and the `$type` discriminant), a namespace with its `Init` and `Json` types, and
 * the binding of avsc's decoded values to the class.
 */
export function emitRecord(writer: CodeBlockWriter, record: RecordType, scope: ModuleScope, className: string): void {
  const full = stringLiteral(record.fullName);
  const brand = scope.runtimeType('modelName');
  const typeOf = `${className}.type`;

  const doc = (text: string | undefined) => {
    if (text !== undefined) for (const line of docComment(text)) writer.writeLine(line);
  };

  doc(record.doc);
  writer.write(`export interface ${className}`).block(() => {
    for (const field of record.fields) {
      doc(field.doc);
      writer.writeLine(`${property(field.name)}: ${valueType(field.type, scope)};`);
    }
  });
  writer.blankLine();

  doc(record.doc);
  writer.write(`export class ${className}`).block(() => {
    writer.writeLine('/** The Avro full name. */');
    writer.writeLine(`static readonly fullName = ${full};`);
    writer.writeLine('/** The full, self-contained Avro schema (every referenced type inlined), as a registry stores it. */');
    writer.write(`static get schema(): ${scope.runtimeType('AvroSchemaJSON')}`).block(() => {
      writer.writeLine(`return ${scope.registry()}.schema(${full});`);
    });
    writer.writeLine('/** The avsc type, shared by every model of this schema set. */');
    writer.writeLine(`static readonly type: ${scope.runtimeType('AvroType')} = ${scope.registry()}.get(${full});`);
    writer.blankLine();
    writer.writeLine(`declare readonly [${brand}]: ${full};`);
    writer.blankLine();
    writer.write(`constructor(init: ${className}.Init)`).block(() => {
      for (const field of record.fields) {
        const value = `init.${field.name}`;
        if (field.default === undefined) {
          writer.writeLine(`this.${field.name} = ${value};`);
          continue;
        }
        const fallback =
          defaultLiteral(field.type, field.default.json, scope) ??
          `${scope.runtime('defaultValue')}<${valueType(field.type, scope)}>(${typeOf}, ${stringLiteral(field.name)})`;
        // `init.toString` (and every other Object.prototype member) is inherited when left out
        if (inheritedName(field.name)) {
          const missing = `!Object.hasOwn(init, ${stringLiteral(field.name)}) || ${value} === undefined`;
          writer.writeLine(`this.${field.name} = ${missing} ? ${fallback} : (${value} as ${valueType(field.type, scope)});`);
        } else {
          writer.writeLine(`this.${field.name} = ${value} === undefined ? ${fallback} : ${value};`);
        }
      }
    });
    writer.blankLine();
    writer.writeLine('/** The Avro full name: a discriminant that narrows unions of records. */');
    writer.write(`get $type(): ${full}`).block(() => writer.writeLine(`return ${full};`));
    writer.blankLine();
    writer.writeLine('/** Reads Avro binary; nested records are instances of their classes too. */');
    writer.write(`static decode(buffer: Buffer): ${className}`).block(() => {
      writer.writeLine(`return ${scope.runtime('decodeValue')}<${className}>(${typeOf}, buffer);`);
    });
    writer.blankLine();
    writer.writeLine('/** Writes Avro binary. */');
    writer.write(`${memberName(record, 'encode')}(): Buffer`).block(() => {
      writer.writeLine(`return ${scope.runtime('encodeValue')}(${typeOf}, this);`);
    });
    writer.blankLine();
    writer.writeLine('/** Every way a value is not a valid ' + record.name + ', each with its field path; empty when valid. */');
    writer.write('static validate(value: unknown): string[]').block(() => {
      writer.writeLine(`return ${scope.runtime('validateValue')}(${typeOf}, value);`);
    });
    writer.blankLine();
    writer.writeLine('/** The plain JSON form, for logging and HTTP. */');
    writer.write(`${memberName(record, 'toJSON')}(): ${className}.Json`).block(() => {
      writer.writeLine(`return ${scope.runtime('valueToJSON')}(${typeOf}, this) as ${className}.Json;`);
    });
    writer.blankLine();
    writer.writeLine('/** Reads the plain JSON form back, checking it. */');
    writer.write(`static fromJSON(json: ${className}.Json): ${className}`).block(() => {
      writer.writeLine(`return ${scope.runtime('valueFromJSON')}<${className}>(${typeOf}, json);`);
    });
  });
  writer.blankLine();

  writer.write(`export declare namespace ${className}`).block(() => {
    writer.writeLine(`/** What \`new ${className}(...)\` takes: fields with a default may be left out. */`);
    writer.write('interface Init').block(() => {
      for (const field of record.fields) {
        if (field.default !== undefined && inheritedName(field.name)) {
          // Every object literal has an inherited `toString` (a function): TypeScript checks it
          // against the field when the literal leaves the field out, so the inherited member's
          // type is let through (the constructor takes the default then). A function given on
          // purpose fails encoding, with the field named.
          writer.writeLine(`/** Optional; the inherited \`Object.prototype.${field.name}\` is not a value (the default is taken). */`);
          writer.writeLine(`${property(field.name)}?: ${valueType(field.type, scope)} | Object[${stringLiteral(field.name)}];`);
          continue;
        }
        const optional = field.default === undefined ? '' : '?';
        writer.writeLine(`${property(field.name)}${optional}: ${valueType(field.type, scope)};`);
      }
    });
    writer.writeLine('/** The plain JSON form (`toJSON`, `fromJSON`). */');
    writer.write('interface Json').block(() => {
      for (const field of record.fields) writer.writeLine(`${property(field.name)}: ${jsonType(field.type, scope)};`);
    });
  });
  writer.blankLine();
  writer.writeLine(`${scope.runtime('bindModel')}(${className}, ${typeOf});`);
}

/** A field named like an Object.prototype member (`toString`, `valueOf`): every object inherits it. */
function inheritedName(name: string): boolean {
  return name in Object.prototype;
}
