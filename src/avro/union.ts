/**
 * How a union's values look in TypeScript, decided from its branches alone, by the same rule in
 * codegen (which writes the TypeScript type) and at run time (which builds the avsc type):
 *
 * - every branch has its own kind of JavaScript value (null, boolean, number, bigint, string,
 *   Buffer, array, map object, Date, Decimal, an instance of one generated class): the value itself,
 *   `T | U`, told apart at run time by its kind, and records by their class;
 * - otherwise (two branches share a kind: `int` and `double`, two enums, two arrays, `string` and
 *   an enum...) the value is wrapped in an object naming its branch, `{ int: 1 } | { double: 1.5 }`,
 *   as avsc and the Avro JSON encoding do, so that bytes round-trip exactly.
 */
export type ValueKind =
  | 'null'
  | 'boolean'
  | 'number'
  | 'bigint'
  | 'string'
  | 'buffer'
  | 'array'
  | 'map'
  | 'date'
  | 'decimal'
  | `record:${string}`;

export type UnionRepresentation =
  /** Unwrapped, and avsc's own unwrapped union tells the branches apart. */
  | 'native'
  /** Unwrapped, told apart by mephisto (several records, or records/maps beside Dates/Decimals). */
  | 'instances'
  /** Wrapped: `{ branchName: value }`. */
  | 'wrapped';

const objectKinds = (kind: ValueKind) => kind === 'map' || kind === 'date' || kind === 'decimal' || kind.startsWith('record:');

export function unionRepresentation(kinds: readonly ValueKind[]): UnionRepresentation {
  if (new Set(kinds).size !== kinds.length) return 'wrapped';
  return kinds.filter(objectKinds).length > 1 ? 'instances' : 'native';
}
