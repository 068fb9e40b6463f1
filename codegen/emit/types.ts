import { unionRepresentation, type UnionRepresentation, type ValueKind } from '../../src/avro/union.js';
import type { LongMode } from '../../src/avro/long.js';
import type { OwnLogical, PrimitiveRef, SchemaSet, TypeRef, UnionRef } from '../model.js';
import type { ModuleScope } from './scope.js';

/**
 * TypeScript types for Avro types: the value type (what decoding yields and encoding takes) and
 * the plain JSON type (what `toJSON` yields and `fromJSON` takes). See the README's mapping table.
 */

export function valueType(ref: TypeRef, scope: ModuleScope): string {
  switch (ref.kind) {
    case 'primitive':
      return primitiveValueType(ref, scope);
    case 'named': {
      const named = scope.set.byName.get(ref.fullName)!;
      return scope.typeName(named.fullName);
    }
    case 'array':
      return arrayOf(valueType(ref.items, scope));
    case 'map':
      return `{ [key: string]: ${valueType(ref.values, scope)} }`;
    case 'union':
      return unionValueType(ref, scope);
  }
}

function primitiveValueType(ref: PrimitiveRef, scope: ModuleScope): string {
  if (ref.logical !== undefined) return logicalValueType(ref.logical, scope);
  switch (ref.name) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'int':
    case 'float':
    case 'double':
      return 'number';
    case 'long':
      return scope.options.long === 'bigint' ? 'bigint' : 'number';
    case 'bytes':
      return 'Buffer';
    case 'string':
      return 'string';
  }
}

export function logicalValueType(logical: OwnLogical, scope: ModuleScope): string {
  switch (logical.name) {
    case 'decimal':
      return scope.runtimeType('Decimal');
    case 'timestamp-millis':
      return 'Date';
    case 'date':
      return 'string';
    case 'time-micros':
      return 'number';
  }
}

function arrayOf(item: string): string {
  return /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
}

/** The kind of JavaScript value a type reads into; the same rule as the runtime's `valueKind`. */
export function valueKind(ref: TypeRef, set: SchemaSet, long: LongMode): ValueKind {
  switch (ref.kind) {
    case 'primitive':
      if (ref.logical !== undefined) return logicalKind(ref.logical);
      switch (ref.name) {
        case 'int':
        case 'float':
        case 'double':
          return 'number';
        case 'long':
          return long === 'bigint' ? 'bigint' : 'number';
        case 'bytes':
          return 'buffer';
        default:
          return ref.name;
      }
    case 'named': {
      const named = set.byName.get(ref.fullName)!;
      if (named.kind === 'record') return `record:${named.fullName}`;
      if (named.kind === 'enum') return 'string';
      return named.logical !== undefined ? logicalKind(named.logical) : 'buffer';
    }
    case 'array':
    case 'map':
      return ref.kind;
    case 'union':
      throw new Error('a union cannot directly contain another union');
  }
}

function logicalKind(logical: OwnLogical): ValueKind {
  switch (logical.name) {
    case 'decimal':
      return 'decimal';
    case 'timestamp-millis':
      return 'date';
    case 'date':
      return 'string';
    case 'time-micros':
      return 'number';
  }
}

export function representationOf(ref: UnionRef, set: SchemaSet, long: LongMode): UnionRepresentation {
  return unionRepresentation(ref.branches.map((branch) => valueKind(branch, set, long)));
}

/** The branch name avsc and the Avro JSON encoding use: a full name, or the type's name. */
export function branchName(ref: TypeRef): string {
  switch (ref.kind) {
    case 'primitive':
      return ref.name;
    case 'named':
      return ref.fullName;
    default:
      return ref.kind;
  }
}

const nullLast = (branches: readonly TypeRef[]) => [
  ...branches.filter((b) => !(b.kind === 'primitive' && b.name === 'null')),
  ...branches.filter((b) => b.kind === 'primitive' && b.name === 'null'),
];

function unionValueType(ref: UnionRef, scope: ModuleScope): string {
  const representation = representationOf(ref, scope.set, scope.options.long);
  const branches = nullLast(ref.branches);
  if (representation !== 'wrapped') return branches.map((branch) => valueType(branch, scope)).join(' | ');
  return branches
    .map((branch) =>
      branch.kind === 'primitive' && branch.name === 'null' ? 'null' : `{ ${quoteKey(branchName(branch))}: ${valueType(branch, scope)} }`,
    )
    .join(' | ');
}

export function quoteKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`;
}

/** Whether a union is `null` and one other type: its JSON is that type's JSON or null. */
export function isNullable(ref: UnionRef): boolean {
  return ref.branches.length === 2 && ref.branches.some((b) => b.kind === 'primitive' && b.name === 'null');
}

export function jsonType(ref: TypeRef, scope: ModuleScope): string {
  switch (ref.kind) {
    case 'primitive':
      if (ref.logical !== undefined) return ref.logical.name === 'time-micros' ? 'number' : 'string';
      switch (ref.name) {
        case 'null':
          return 'null';
        case 'boolean':
          return 'boolean';
        case 'int':
          return 'number';
        case 'float':
        case 'double':
          return "number | 'NaN' | 'Infinity' | '-Infinity'";
        case 'long':
          return scope.options.long === 'bigint' ? 'string' : 'number';
        case 'bytes':
        case 'string':
          return 'string';
      }
      break;
    case 'named': {
      const named = scope.set.byName.get(ref.fullName)!;
      const local = scope.typeName(named.fullName);
      if (named.kind === 'record') return `${local}.Json`;
      if (named.kind === 'enum') return local;
      return 'string';
    }
    case 'array': {
      const item = jsonType(ref.items, scope);
      return /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'map':
      return `{ [key: string]: ${jsonType(ref.values, scope)} }`;
    case 'union': {
      const branches = nullLast(ref.branches);
      if (isNullable(ref)) return branches.map((branch) => jsonType(branch, scope)).join(' | ');
      return branches
        .map((branch) =>
          branch.kind === 'primitive' && branch.name === 'null' ? 'null' : `{ ${quoteKey(branchName(branch))}: ${jsonType(branch, scope)} }`,
        )
        .join(' | ');
    }
  }
}
