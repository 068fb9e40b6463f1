import type { Type } from 'avsc';
import type { AvroSchemaJSON } from '../serde/codec.js';

/** A reference from one registered schema to a named type registered under another subject. */
export interface SchemaReference {
  /** The referenced type's full name, as used inside the referencing schema. */
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

export interface RegisteredSchema {
  readonly id: number;
  readonly subject: string;
  readonly version: number;
  readonly schema: AvroSchemaJSON;
  readonly references: readonly SchemaReference[];
}

export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

export interface CompatibilityResult {
  readonly compatible: boolean;
  /** Human-readable reasons when not compatible (what breaks, and where). */
  readonly messages: readonly string[];
}

/**
 * A Confluent-compatible schema registry. Drivers: `memory://` (embedded, for the demo and users'
 * tests) and `http(s)://` (Confluent REST, also Apicurio's ccompat API).
 */
export interface SchemaRegistry {
  /**
   * Registers (or finds) a schema under a subject; idempotent for an identical schema. Rejects with
   * a `SchemaIncompatibleError` when the subject's compatibility level forbids it.
   */
  register(subject: string, schema: AvroSchemaJSON, references?: readonly SchemaReference[]): Promise<RegisteredSchema>;
  /** The version of the subject holding exactly this schema, or undefined: never registers. */
  lookup(subject: string, schema: AvroSchemaJSON, references?: readonly SchemaReference[]): Promise<RegisteredSchema | undefined>;
  /**
   * The writer schema with this id, references resolved into a self-contained schema. Rejects with
   * a `RegistryError` (status 404) for an unknown id.
   */
  getById(id: number): Promise<AvroSchemaJSON>;
  /**
   * Optional: the writer schema with this id as a plain avsc type, parsed and cached by the driver.
   * Not what the wire format decodes with: avsc alone drops docs, enum defaults and logical types
   * (a decimal becomes bytes, and would resolve against a decimal of any scale); the wire format
   * parses `getById`'s schema with mephisto's logical types instead.
   */
  getWriterType?(id: number): Promise<Type>;
  getLatest(subject: string): Promise<RegisteredSchema>;
  getVersion(subject: string, version: number): Promise<RegisteredSchema>;
  listSubjects(): Promise<readonly string[]>;
  /** The subject's version numbers, ascending. */
  listVersions(subject: string): Promise<readonly number[]>;
  /**
   * Whether the subject would accept this schema under its compatibility level (against the latest
   * version, or every version for the transitive levels). A subject without versions accepts any.
   */
  checkCompatibility(subject: string, schema: AvroSchemaJSON, references?: readonly SchemaReference[]): Promise<CompatibilityResult>;
  /** The subject's level, or the global one when the subject has none (or no subject is given). */
  getCompatibility(subject?: string): Promise<CompatibilityLevel>;
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>;
  close(): Promise<void>;
}
