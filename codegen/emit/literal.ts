import type { TypeRef } from '../model.js';
import type { ModuleScope } from './scope.js';
import { representationOf } from './types.js';

/** A single-quoted TypeScript string literal. */
export function stringLiteral(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'");
  return `'${escaped}'`;
}

/**
 * A field default written as a TypeScript literal, when the value is one (null, booleans, numbers,
 * strings, enum symbols); undefined when the value must be built at run time (bytes, records,
 * arrays, maps, logical types), which the generated constructor then asks avsc for.
 */
export function defaultLiteral(ref: TypeRef, json: unknown, scope: ModuleScope): string | undefined {
  switch (ref.kind) {
    case 'primitive':
      if (ref.logical !== undefined) return undefined;
      switch (ref.name) {
        case 'null':
          return 'null';
        case 'boolean':
          return json ? 'true' : 'false';
        case 'int':
        case 'float':
        case 'double':
          return Object.is(json, -0) ? '-0' : String(json);
        case 'long':
          if (!Number.isSafeInteger(json)) return undefined;
          return scope.options.long === 'bigint' ? `${String(json)}n` : String(json);
        case 'string':
          return stringLiteral(json as string);
        case 'bytes':
          return undefined;
      }
      break;
    case 'named': {
      const named = scope.set.byName.get(ref.fullName)!;
      return named.kind === 'enum' ? stringLiteral(json as string) : undefined;
    }
    case 'union': {
      const first = ref.branches[0];
      if (first === undefined) return undefined;
      if (first.kind === 'primitive' && first.name === 'null') return 'null';
      if (representationOf(ref, scope.set, scope.options.long) === 'wrapped') return undefined;
      return defaultLiteral(first, json, scope);
    }
    default:
      return undefined;
  }
  return undefined;
}
