import type { NamedType, TypeRef } from './model.js';

const isObject = (json: unknown): json is Record<string, unknown> =>
  typeof json === 'object' && json !== null && !Array.isArray(json);
const isLatin1 = (text: string) => [...text].every((char) => char.charCodeAt(0) <= 0xff);

/**
 * Why a default (in the schema's JSON notation) is not a value of `type`, or undefined when it is.
 * A union's default must be a value of its first branch (Avro 1.11).
 */
export function defaultProblem(type: TypeRef, json: unknown, byName: ReadonlyMap<string, NamedType>, path = ''): string | undefined {
  const got = `got ${JSON.stringify(json) ?? 'undefined'}`;
  const where = path === '' ? '' : ` at ${path}`;
  switch (type.kind) {
    case 'primitive':
      switch (type.name) {
        case 'null':
          return json === null ? undefined : `expected null${where}, ${got}`;
        case 'boolean':
          return typeof json === 'boolean' ? undefined : `expected a boolean${where}, ${got}`;
        case 'int':
          return Number.isInteger(json) && (json as number) >= -(2 ** 31) && (json as number) < 2 ** 31
            ? undefined
            : `expected an int (32-bit integer)${where}, ${got}`;
        case 'long':
          if (!Number.isInteger(json)) return `expected a long (integer)${where}, ${got}`;
          // JSON numbers are doubles: past 2^53 the schema's digits cannot be read exactly (and
          // avsc stops at ±(2^53 - 2)).
          return Math.abs(json as number) <= 9007199254740990
            ? undefined
            : `a long default must be within ±9007199254740990 to be read exactly from JSON${where}, ${got}`;
        case 'float':
        case 'double':
          return typeof json === 'number' ? undefined : `expected a number${where}, ${got}`;
        case 'bytes':
          return typeof json === 'string' && isLatin1(json)
            ? undefined
            : `expected bytes as a string of code points \\u0000-\\u00ff${where}, ${got}`;
        case 'string':
          return typeof json === 'string' ? undefined : `expected a string${where}, ${got}`;
      }
      break;
    case 'array':
      if (!Array.isArray(json)) return `expected an array${where}, ${got}`;
      for (let i = 0; i < json.length; i += 1) {
        const problem = defaultProblem(type.items, json[i], byName, `${path}[${i}]`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    case 'map':
      if (!isObject(json)) return `expected a map (an object)${where}, ${got}`;
      for (const [key, value] of Object.entries(json)) {
        const problem = defaultProblem(type.values, value, byName, `${path}[${JSON.stringify(key)}]`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    case 'union': {
      const first = type.branches[0];
      if (first === undefined) return undefined;
      const problem = defaultProblem(first, json, byName, path);
      return problem === undefined ? undefined : `a union's default must be a value of its first branch: ${problem}; put the default's branch first`;
    }
    case 'named': {
      const named = byName.get(type.fullName);
      if (named === undefined) return undefined;
      switch (named.kind) {
        case 'enum':
          return typeof json === 'string' && named.symbols.includes(json)
            ? undefined
            : `expected a symbol of ${named.fullName} (${named.symbols.join(', ')})${where}, ${got}`;
        case 'fixed':
          return typeof json === 'string' && isLatin1(json) && json.length === named.size
            ? undefined
            : `expected ${named.size} bytes (a string of ${named.size} code points \\u0000-\\u00ff) for ${named.fullName}${where}, ${got}`;
        case 'record': {
          if (!isObject(json)) return `expected an object for ${named.fullName}${where}, ${got}`;
          for (const field of named.fields) {
            const fieldPath = `${path}.${field.name}`;
            if (!(field.name in json)) {
              if (field.default === undefined) return `missing field ${field.name} of ${named.fullName}${where}`;
              continue;
            }
            const problem = defaultProblem(field.type, json[field.name], byName, fieldPath);
            if (problem !== undefined) return problem;
          }
          const extra = Object.keys(json).filter((key) => !named.fields.some((field) => field.name === key));
          return extra.length === 0 ? undefined : `unknown field ${extra.join(', ')} of ${named.fullName}${where}`;
        }
      }
    }
  }
  return undefined;
}
