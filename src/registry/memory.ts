import type { Type } from 'avsc';
import { ConfigError, RegistryError, SchemaIncompatibleError } from '../errors.js';
import type { AvroSchemaJSON } from '../serde/codec.js';
import { checkCompatibilityLevel, isCompatibilityLevel } from './compatibility.js';
import { inlineReferences, parseAvro, schemaIdentity, stableJson } from './schema.js';
import type {
  CompatibilityLevel,
  CompatibilityResult,
  RegisteredSchema,
  SchemaReference,
  SchemaRegistry,
} from './types.js';

interface StoredSchema {
  readonly id: number;
  readonly schema: AvroSchemaJSON;
  readonly references: readonly SchemaReference[];
  readonly selfContained: AvroSchemaJSON;
  readonly type: Type;
}

interface SubjectVersion {
  readonly version: number;
  readonly id: number;
}

/**
 * The embedded registry behind `memory://`: the same model as Confluent's (global ids, stable per
 * identical schema across subjects; subjects with numbered versions; compatibility levels, global
 * and per subject, BACKWARD by default; references to types registered under other subjects),
 * kept in this process. For the demo and for users' tests.
 */
export class MemoryRegistry implements SchemaRegistry {
  readonly url: string;
  private readonly byId = new Map<number, StoredSchema>();
  private readonly idByKey = new Map<string, number>();
  private readonly subjects = new Map<string, SubjectVersion[]>();
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private globalLevel: CompatibilityLevel = 'BACKWARD';
  private nextId = 1;

  constructor(url = 'memory://') {
    this.url = url;
  }

  async register(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[] = []): Promise<RegisteredSchema> {
    const candidate = this.parse(subject, schema, references);
    const existing = this.findInSubject(subject, candidate.key);
    if (existing) return existing;
    const check = await this.checkParsed(subject, candidate.type);
    if (!check.compatible) throw new SchemaIncompatibleError(subject, check.messages);
    const id = this.idFor(candidate.key, schema, references, candidate.type, candidate.selfContained);
    const versions = this.subjects.get(subject) ?? [];
    const version = (versions.at(-1)?.version ?? 0) + 1;
    versions.push({ version, id });
    this.subjects.set(subject, versions);
    return this.registered(subject, { version, id });
  }

  async lookup(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[] = []): Promise<RegisteredSchema | undefined> {
    const candidate = this.parse(subject, schema, references);
    return this.findInSubject(subject, candidate.key);
  }

  async getById(id: number): Promise<AvroSchemaJSON> {
    const stored = this.byId.get(id);
    if (!stored) throw this.notFound(`Schema id ${id} is not registered in ${this.url}`, 40403);
    return stored.selfContained;
  }

  /** The schema with this id as registered, with its references (what Confluent's `/schemas/ids/{id}` answers). */
  async getRegisteredById(id: number): Promise<{ schema: AvroSchemaJSON; references: readonly SchemaReference[] }> {
    const stored = this.byId.get(id);
    if (!stored) throw this.notFound(`Schema id ${id} is not registered in ${this.url}`, 40403);
    return { schema: stored.schema, references: stored.references };
  }

  async getWriterType(id: number): Promise<Type> {
    const stored = this.byId.get(id);
    if (!stored) throw this.notFound(`Schema id ${id} is not registered in ${this.url}`, 40403);
    return stored.type;
  }

  async getLatest(subject: string): Promise<RegisteredSchema> {
    const latest = this.versionsOf(subject).at(-1);
    if (!latest) throw this.subjectNotFound(subject);
    return this.registered(subject, latest);
  }

  async getVersion(subject: string, version: number): Promise<RegisteredSchema> {
    const found = this.versionsOf(subject).find((v) => v.version === version);
    if (!found) {
      if (!this.subjects.has(subject)) throw this.subjectNotFound(subject);
      throw this.notFound(`Subject ${subject} has no version ${version} in ${this.url} (versions: ${this.versionsOf(subject).map((v) => v.version).join(', ')})`, 40402);
    }
    return this.registered(subject, found);
  }

  async listSubjects(): Promise<readonly string[]> {
    return [...this.subjects.keys()].sort();
  }

  async listVersions(subject: string): Promise<readonly number[]> {
    if (!this.subjects.has(subject)) throw this.subjectNotFound(subject);
    return this.versionsOf(subject).map((v) => v.version);
  }

  async checkCompatibility(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[] = []): Promise<CompatibilityResult> {
    return this.checkParsed(subject, this.parse(subject, schema, references).type);
  }

  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    return (subject === undefined ? undefined : this.subjectLevels.get(subject)) ?? this.globalLevel;
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    if (!isCompatibilityLevel(level)) {
      throw new ConfigError('compatibility', `unknown level ${JSON.stringify(level)}; use NONE, BACKWARD, FORWARD, FULL or a _TRANSITIVE variant`);
    }
    if (subject === undefined) this.globalLevel = level;
    else this.subjectLevels.set(subject, level);
  }

  async close(): Promise<void> {
    // Nothing to release: the data lives as long as the registry object (named ones, the process).
  }

  private async checkParsed(subject: string, type: Type): Promise<CompatibilityResult> {
    const level = await this.getCompatibility(subject);
    const versions = this.versionsOf(subject).map((v) => ({ version: v.version, type: this.stored(v.id).type }));
    return checkCompatibilityLevel(level, type, versions);
  }

  private parse(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[]): { type: Type; key: string; selfContained: AvroSchemaJSON } {
    const referenced = this.resolveReferences(references, new Set());
    const selfContained = references.length ? inlineReferences(schema, referenced) : schema;
    let type: Type;
    try {
      type = parseAvro(schema, referenced);
    } catch (error) {
      throw new RegistryError(
        `Invalid Avro schema for subject ${subject}: ${(error as Error).message}. Fix the schema (or add the references it names).`,
        { url: this.url, status: 422, errorCode: 42201 },
        { cause: error },
      );
    }
    // Identical means the same schema (name forms and key order aside) and the same references.
    const key = `${schemaIdentity(schema)}\u0000${stableJson(references.map((r) => [r.name, r.subject, r.version]))}`;
    return { type, key, selfContained };
  }

  /** The schemas that references point at, dependencies first, each once. */
  private resolveReferences(references: readonly SchemaReference[], seen: Set<number>): AvroSchemaJSON[] {
    const out: AvroSchemaJSON[] = [];
    for (const reference of references) {
      const found = this.versionsOf(reference.subject).find((v) => v.version === reference.version);
      if (!found) {
        throw this.notFound(`Reference ${reference.name} points at ${reference.subject} version ${reference.version}, which is not registered in ${this.url}; register it first`, 40402);
      }
      if (seen.has(found.id)) continue;
      seen.add(found.id);
      const stored = this.stored(found.id);
      out.push(...this.resolveReferences(stored.references, seen), stored.schema);
    }
    return out;
  }

  private idFor(key: string, schema: AvroSchemaJSON, references: readonly SchemaReference[], type: Type, selfContained: AvroSchemaJSON): number {
    const known = this.idByKey.get(key);
    if (known !== undefined) return known;
    const id = this.nextId++;
    this.idByKey.set(key, id);
    this.byId.set(id, { id, schema, references: [...references], selfContained, type });
    return id;
  }

  private findInSubject(subject: string, key: string): RegisteredSchema | undefined {
    const id = this.idByKey.get(key);
    if (id === undefined) return undefined;
    const found = this.versionsOf(subject).find((v) => v.id === id);
    return found && this.registered(subject, found);
  }

  private registered(subject: string, { version, id }: SubjectVersion): RegisteredSchema {
    const stored = this.stored(id);
    return { id, subject, version, schema: stored.schema, references: stored.references };
  }

  private stored(id: number): StoredSchema {
    const stored = this.byId.get(id);
    if (!stored) throw new Error(`memory registry: id ${id} vanished`);
    return stored;
  }

  private versionsOf(subject: string): readonly SubjectVersion[] {
    return this.subjects.get(subject) ?? [];
  }

  private subjectNotFound(subject: string): RegistryError {
    return this.notFound(`Subject ${subject} is not registered in ${this.url}; register a schema under it first (or check the subject name strategy)`, 40401);
  }

  private notFound(message: string, errorCode: number): RegistryError {
    return new RegistryError(message, { url: this.url, status: 404, errorCode });
  }
}
