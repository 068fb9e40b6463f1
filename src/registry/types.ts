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
  /** Registers (or finds) a schema under a subject; idempotent for an identical schema. */
  register(subject: string, schema: AvroSchemaJSON, references?: readonly SchemaReference[]): Promise<RegisteredSchema>;
  /** The writer schema with this id, references resolved into a self-contained schema. */
  getById(id: number): Promise<AvroSchemaJSON>;
  getLatest(subject: string): Promise<RegisteredSchema>;
  getVersion(subject: string, version: number): Promise<RegisteredSchema>;
  listSubjects(): Promise<readonly string[]>;
  checkCompatibility(subject: string, schema: AvroSchemaJSON): Promise<CompatibilityResult>;
  getCompatibility(subject?: string): Promise<CompatibilityLevel>;
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>;
  close(): Promise<void>;
}
