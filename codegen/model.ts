/**
 * The intermediate model the resolve pass builds from raw schema JSON. Emitters read only this:
 * every name is a full name, every reference points at a named type of the set, every logical type
 * is known to be valid or has already fallen back to its underlying type.
 */

/** Where something is: a file and a JSON path in it, e.g. `orders/Order.avsc` `$.fields[2].type`. */
export interface Location {
  readonly file: string;
  readonly path: string;
}

export type PrimitiveName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

/**
 * A logical type mephisto gives its own value type. Any other (uuid, time-millis, timestamp-micros,
 * local-timestamp-*, unknown, or invalid ones) is kept in `logicalType` only for the schema JSON.
 */
export type OwnLogical =
  | { readonly name: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly name: 'timestamp-millis' }
  | { readonly name: 'date' }
  | { readonly name: 'time-micros' };

export type TypeRef = PrimitiveRef | NamedRef | ArrayRef | MapRef | UnionRef;

export interface PrimitiveRef {
  readonly kind: 'primitive';
  readonly name: PrimitiveName;
  /** The logical type as written (kept in the schema JSON), valid or not. */
  readonly logicalType?: string;
  /**
   * The type's other attributes, kept in the schema JSON: the logical type's (precision, scale)
   * and any other (`maxLength`, `connect.name`, ...: schema metadata a registry stores and compares).
   */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** Set when mephisto maps this logical type to its own value type. */
  readonly logical?: OwnLogical;
}

export interface NamedRef {
  readonly kind: 'named';
  readonly fullName: string;
}

export interface ArrayRef {
  readonly kind: 'array';
  readonly items: TypeRef;
  /** Attributes the Avro spec does not define, kept in the schema JSON. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface MapRef {
  readonly kind: 'map';
  readonly values: TypeRef;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface UnionRef {
  readonly kind: 'union';
  readonly branches: readonly TypeRef[];
}

interface NamedBase {
  readonly fullName: string;
  /** The simple name (after the last dot). */
  readonly name: string;
  /** The namespace, `''` for the null namespace. */
  readonly namespace: string;
  readonly doc?: string;
  readonly aliases: readonly string[];
  readonly location: Location;
  /**
   * Attributes the Avro spec does not define for the type (`connect.name`, `connect.version`, a
   * team's own metadata), kept in the schema JSON: a registry stores and compares them.
   */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface Field {
  readonly name: string;
  readonly type: TypeRef;
  readonly doc?: string;
  /** The default as JSON (the schema's own notation), when there is one. */
  readonly default?: { readonly json: unknown };
  readonly order?: 'ascending' | 'descending' | 'ignore';
  readonly aliases: readonly string[];
  readonly location: Location;
  /** Attributes the Avro spec does not define for a field, kept in the schema JSON. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface RecordType extends NamedBase {
  readonly kind: 'record';
  readonly isError: boolean;
  readonly fields: readonly Field[];
}

export interface EnumType extends NamedBase {
  readonly kind: 'enum';
  readonly symbols: readonly string[];
  readonly default?: string;
}

export interface FixedType extends NamedBase {
  readonly kind: 'fixed';
  readonly size: number;
  readonly logicalType?: string;
  readonly logical?: OwnLogical;
}

export type NamedType = RecordType | EnumType | FixedType;

/** A key or value of a topic: a primitive Avro type, or a named type of the set. */
export type TopicPart =
  | { readonly kind: 'string' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'avro'; readonly type: TypeRef };

export interface Topic {
  readonly name: string;
  readonly key: TopicPart;
  readonly value: TopicPart;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
  readonly doc?: string;
  readonly location: Location;
}

export interface SchemaSet {
  /** Every named type, sorted by full name. */
  readonly types: readonly NamedType[];
  readonly byName: ReadonlyMap<string, NamedType>;
  readonly topics: readonly Topic[];
}
