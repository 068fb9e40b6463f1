import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { ConfigError, SchemaError, isMephistoError, isRegistryError } from '../src/errors.js';
import { openRegistry, registryAuthFromEnv } from '../src/registry/index.js';
import { namedTypeName, stableJson } from '../src/registry/schema.js';
import { subjectNameStrategy, type SubjectNameStrategyOption } from '../src/registry/strategy.js';
import type { CompatibilityLevel, SchemaRegistry } from '../src/registry/types.js';
import type { AvroSchemaJSON } from '../src/serde/codec.js';
import { SchemaWriter } from './emit/schema.js';
import type { GenerateInput } from './generate.js';
import { compare, resolveSchemas, type SourceFile } from './resolve.js';

/**
 * Schemas between a schema directory and a schema registry, both ways:
 *
 * - `localSubjects` says which subject each local schema belongs under (from the topic manifest and
 *   a subject name strategy), as the self-contained schema JSON the generated models carry, so that
 *   `mephisto schemas push` registers exactly what the runtime would;
 * - `checkSubjects` / `pushSubjects` test and register them (`mephisto schemas check|push`);
 * - `pullSubjects` fetches subjects (latest or a pinned version, with their references) and splits
 *   them into one `.avsc` file per named type, plus the topic bindings that `<topic>-value` and
 *   `<topic>-key` subjects imply (`mephisto codegen --registry`).
 *
 * The functions here take and return data; `readSchemaDir` and `writePulledSchemas` do the I/O.
 */

export const manifestFile = 'topics.json';

// ---------------------------------------------------------------------------------------------
// Reading a schema directory

/** Every `.avsc` file under `dir` (paths relative, `/`-separated, sorted) and `topics.json` if any. */
export function readSchemaDir(dir: string): GenerateInput {
  if (!existsSync(dir)) {
    throw new ConfigError('--schemas', `no schema directory at ${dir}; pass --schemas DIR (the directory of .avsc files and topics.json)`);
  }
  const schemas: SourceFile[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.avsc')) schemas.push({ path: relative(dir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
    }
  };
  walk(dir);
  schemas.sort((a, b) => compare(a.path, b.path));
  const manifestPath = join(dir, manifestFile);
  return existsSync(manifestPath) ? { schemas, manifest: { path: manifestFile, text: readFileSync(manifestPath, 'utf8') } } : { schemas };
}

// ---------------------------------------------------------------------------------------------
// Local schemas to subjects

export interface LocalSubject {
  readonly subject: string;
  /** The Avro type: a full name, or a primitive type name. */
  readonly typeName: string;
  /** The self-contained schema, exactly as the generated model carries it. */
  readonly schema: AvroSchemaJSON;
  /** The topics (and parts) whose schema this is. */
  readonly usedBy: readonly string[];
}

/**
 * The subjects the schemas of the manifest's topics go under, as the registry wire format would
 * register them: every Avro key and value of every topic (raw `string`/`bytes` parts are not
 * framed, so not registered). Throws a SchemaError on bad schemas or manifest.
 */
export function localSubjects(
  input: GenerateInput,
  options: { subjectNameStrategy?: SubjectNameStrategyOption; keySubjectNameStrategy?: SubjectNameStrategyOption } = {},
): LocalSubject[] {
  if (input.manifest === undefined) {
    throw new ConfigError('--schemas', `no ${manifestFile} in the schema directory: the subjects come from its topics (add one: { "topics": { "<topic>": { "key": "string", "value": "<full name>" } } })`);
  }
  const resolved = resolveSchemas(input.schemas, input.manifest);
  if (resolved.set === undefined) throw new SchemaError(resolved.problems);
  const { set } = resolved;
  const valueStrategy = subjectNameStrategy(options.subjectNameStrategy);
  const keyStrategy = subjectNameStrategy(options.keySubjectNameStrategy);
  const bySubject = new Map<string, { typeName: string; schema: AvroSchemaJSON; text: string; usedBy: string[] }>();
  for (const topic of set.topics) {
    for (const part of ['key', 'value'] as const) {
      const spec = topic[part];
      if (spec.kind !== 'avro') continue;
      const schema = new SchemaWriter(set).type(spec.type, '') as AvroSchemaJSON;
      const typeName = spec.type.kind === 'named' ? spec.type.fullName : spec.type.kind === 'primitive' ? spec.type.name : JSON.stringify(schema);
      const subject = (part === 'key' ? keyStrategy : valueStrategy)(topic.name, part, schema);
      const text = stableJson(schema);
      const usedBy = `${topic.name} (${part})`;
      const known = bySubject.get(subject);
      if (known === undefined) {
        bySubject.set(subject, { typeName, schema, text, usedBy: [usedBy] });
      } else if (known.text === text) {
        known.usedBy.push(usedBy);
      } else {
        throw new ConfigError(
          'subjectNameStrategy',
          `subject ${subject} would get two different schemas: ${known.typeName} for ${known.usedBy.join(', ')} and ${typeName} for ${usedBy}; use the topic strategy or give them one type`,
        );
      }
    }
  }
  return [...bySubject.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([subject, { typeName, schema, usedBy }]) => ({ subject, typeName, schema, usedBy }));
}

// ---------------------------------------------------------------------------------------------
// check and push

export interface SubjectCheck {
  readonly subject: string;
  readonly typeName: string;
  /** `new`: no version yet; `registered`: this exact schema is a version already. */
  readonly status: 'new' | 'registered' | 'compatible' | 'incompatible';
  readonly level: CompatibilityLevel;
  readonly latestVersion?: number;
  readonly messages: readonly string[];
}

export async function checkSubjects(registry: SchemaRegistry, subjects: readonly LocalSubject[]): Promise<SubjectCheck[]> {
  const checks: SubjectCheck[] = [];
  for (const local of subjects) {
    const level = await registry.getCompatibility(local.subject);
    const latestVersion = await latestVersionOf(registry, local.subject);
    const base = { subject: local.subject, typeName: local.typeName, level, ...(latestVersion === undefined ? {} : { latestVersion }) };
    if (latestVersion === undefined) {
      checks.push({ ...base, status: 'new', messages: [] });
      continue;
    }
    if (await registry.lookup(local.subject, local.schema)) {
      checks.push({ ...base, status: 'registered', messages: [] });
      continue;
    }
    const result = await registry.checkCompatibility(local.subject, local.schema);
    checks.push({ ...base, status: result.compatible ? 'compatible' : 'incompatible', messages: result.messages });
  }
  return checks;
}

export interface SubjectPush {
  readonly subject: string;
  readonly typeName: string;
  readonly status: 'registered' | 'unchanged' | 'incompatible';
  readonly id?: number;
  readonly version?: number;
  readonly messages: readonly string[];
}

/** Registers every subject's schema; an incompatible one is reported and the others still go. */
export async function pushSubjects(registry: SchemaRegistry, subjects: readonly LocalSubject[]): Promise<SubjectPush[]> {
  const pushes: SubjectPush[] = [];
  for (const local of subjects) {
    const known = await registry.lookup(local.subject, local.schema);
    if (known) {
      pushes.push({ subject: local.subject, typeName: local.typeName, status: 'unchanged', id: known.id, version: known.version, messages: [] });
      continue;
    }
    const check = await registry.checkCompatibility(local.subject, local.schema);
    if (!check.compatible) {
      pushes.push({ subject: local.subject, typeName: local.typeName, status: 'incompatible', messages: check.messages });
      continue;
    }
    const registered = await registry.register(local.subject, local.schema);
    pushes.push({ subject: local.subject, typeName: local.typeName, status: 'registered', id: registered.id, version: registered.version, messages: [] });
  }
  return pushes;
}

async function latestVersionOf(registry: SchemaRegistry, subject: string): Promise<number | undefined> {
  try {
    return (await registry.getLatest(subject)).version;
  } catch (error) {
    if (isRegistryError(error) && error.status === 404) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// pull: registry subjects to schema files and topic bindings

/** A topic binding in the manifest's notation: `"string"`, a full name, `{ "avro": "string" }`. */
export type ManifestPart = string | { readonly avro: string };

export interface PulledSubject {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
}

export interface PulledSchemas {
  /** One file per named type, at `<namespace as folders>/<Name>.avsc`, sorted. */
  readonly files: readonly SourceFile[];
  /** Topic bindings from `<topic>-value` / `<topic>-key` subjects. */
  readonly topics: Readonly<Record<string, { key?: ManifestPart; value?: ManifestPart }>>;
  readonly subjects: readonly PulledSubject[];
  /** Matched subjects that could not become a file or a binding, and why. */
  readonly skipped: readonly string[];
}

export interface PullOptions {
  /** Glob patterns over subject names (`orders-*`, `com.acme.**`); every subject when empty. */
  readonly subjects?: readonly string[];
  /** A pinned version of every matched subject instead of the latest. */
  readonly version?: number;
}

export async function pullSubjects(registry: SchemaRegistry, options: PullOptions = {}): Promise<PulledSchemas> {
  const patterns = options.subjects?.length ? options.subjects : ['**'];
  // Subject names hold dots, not path separators, so `*` matches across dots.
  const matchers = patterns.map((pattern) => picomatch(pattern, { dot: true }));
  const all = await registry.listSubjects();
  const matched = all.filter((subject) => matchers.some((match) => match(subject)));
  if (matched.length === 0) {
    throw new ConfigError('--subject', `no subject of the registry matches ${patterns.join(', ')} (it has: ${all.slice(0, 20).join(', ') || 'none'}${all.length > 20 ? ', …' : ''})`);
  }

  const definitions = new Map<string, { json: Record<string, unknown>; text: string; from: string }>();
  const topics: Record<string, { key?: ManifestPart; value?: ManifestPart }> = {};
  const subjects: PulledSubject[] = [];
  const skipped: string[] = [];
  const seenVersions = new Set<string>();

  const take = async (subject: string, version: number | undefined, direct: boolean): Promise<void> => {
    const registered = version === undefined ? await registry.getLatest(subject) : await registry.getVersion(subject, version);
    const key = `${subject}\u0000${registered.version}`;
    if (seenVersions.has(key)) return;
    seenVersions.add(key);
    for (const reference of registered.references) await take(reference.subject, reference.version, false);
    if (direct) subjects.push({ subject, version: registered.version, id: registered.id });
    const from = `${subject} version ${registered.version}`;
    splitDefinitions(registered.schema, '', from, definitions);
    if (!direct) return;
    const binding = /^(.+)-(key|value)$/.exec(subject);
    if (!binding) return;
    const part = manifestPart(registered.schema);
    if (part === undefined) {
      skipped.push(`${subject}: its schema (${JSON.stringify(registered.schema).slice(0, 60)}) is neither a named type nor a primitive, so no topic binding was derived`);
      return;
    }
    const [, topic, which] = binding as unknown as [string, string, 'key' | 'value'];
    (topics[topic] ??= {})[which] = part;
  };
  for (const subject of matched) await take(subject, options.version, true);

  const files = [...definitions.entries()]
    .map(([fullName, { json }]) => ({ path: `${fullName.split('.').join('/')}.avsc`, text: `${JSON.stringify(json, null, 2)}\n` }))
    .sort((a, b) => compare(a.path, b.path));
  return { files, topics, subjects, skipped };
}

function manifestPart(schema: AvroSchemaJSON): ManifestPart | undefined {
  const named = namedTypeName(schema);
  if (named !== undefined) return named;
  const object = typeof schema === 'object' && !Array.isArray(schema) ? (schema as { readonly type: unknown }) : undefined;
  const primitive = typeof schema === 'string' ? schema : object !== undefined && Object.keys(object).length === 1 ? object.type : undefined;
  if (typeof primitive !== 'string' || !primitiveTypes.has(primitive)) return undefined;
  // In the manifest a bare "string" or "bytes" is raw; the registry's are Avro-encoded.
  return primitive === 'string' || primitive === 'bytes' ? { avro: primitive } : primitive;
}

const primitiveTypes = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const namedKinds = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * Moves every named type defined in `json` into `definitions` (by full name, nested definitions
 * replaced by their full name) and returns `json` with them replaced. The same type met twice must
 * be defined the same way.
 */
function splitDefinitions(
  json: unknown,
  namespace: string,
  from: string,
  definitions: Map<string, { json: Record<string, unknown>; text: string; from: string }>,
): unknown {
  if (Array.isArray(json)) return json.map((branch) => splitDefinitions(branch, namespace, from, definitions));
  if (typeof json === 'string') {
    if (primitiveTypes.has(json) || json.includes('.') || namespace === '') return json;
    return `${namespace}.${json}`;
  }
  if (typeof json !== 'object' || json === null) return json;
  const object = json as Record<string, unknown>;
  const type = object.type;
  if (typeof type !== 'string') return { ...object, type: splitDefinitions(type, namespace, from, definitions) };
  if (type === 'array') return { ...object, items: splitDefinitions(object.items, namespace, from, definitions) };
  if (type === 'map') return { ...object, values: splitDefinitions(object.values, namespace, from, definitions) };
  if (!namedKinds.has(type) || typeof object.name !== 'string') return json;
  const name = object.name;
  const own = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof object.namespace === 'string' ? object.namespace : namespace;
  const simple = name.slice(name.lastIndexOf('.') + 1);
  const fullName = own === '' ? simple : `${own}.${simple}`;
  const { name: _name, namespace: _namespace, type: _type, ...rest } = object;
  const definition: Record<string, unknown> = { type, name: simple, ...(own === '' ? {} : { namespace: own }), ...rest };
  if (Array.isArray(object.fields)) {
    definition.fields = object.fields.map((field) =>
      typeof field === 'object' && field !== null
        ? { ...(field as Record<string, unknown>), type: splitDefinitions((field as Record<string, unknown>).type, own, from, definitions) }
        : field,
    );
  }
  const text = stableJson(definition);
  const known = definitions.get(fullName);
  if (known !== undefined && known.text !== text) {
    throw new ConfigError(
      '--subject',
      `${fullName} is defined differently in ${known.from} and in ${from}; pull one of them (narrow --subject) or pin --version so that both agree`,
    );
  }
  if (known === undefined) definitions.set(fullName, { json: definition, text, from });
  return fullName;
}

/**
 * The manifest with the pulled bindings merged in: a topic already there keeps its settings
 * (partitions, config, doc) and takes the registry's key/value; a new topic gets a raw `"string"`
 * key unless a `<topic>-key` subject says otherwise.
 */
export function mergeManifest(existing: string | undefined, topics: PulledSchemas['topics']): string {
  let manifest: { topics: Record<string, Record<string, unknown>> } = { topics: {} };
  if (existing !== undefined) {
    try {
      manifest = JSON.parse(existing) as typeof manifest;
    } catch (error) {
      throw new ConfigError(manifestFile, `cannot merge topic bindings into ${manifestFile}: it is not JSON (${(error as Error).message}); fix or remove it`);
    }
    if (typeof manifest !== 'object' || manifest === null || typeof manifest.topics !== 'object' || manifest.topics === null) {
      throw new ConfigError(manifestFile, `cannot merge topic bindings into ${manifestFile}: it has no "topics" object`);
    }
  }
  for (const [topic, parts] of Object.entries(topics).sort(([a], [b]) => compare(a, b))) {
    const entry = manifest.topics[topic];
    if (entry === undefined) {
      if (parts.value === undefined) continue; // a key subject alone binds no topic
      manifest.topics[topic] = { key: parts.key ?? 'string', value: parts.value };
      continue;
    }
    if (parts.key !== undefined) entry.key = parts.key;
    if (parts.value !== undefined) entry.value = parts.value;
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Writes pulled schemas into a schema directory and merges their bindings into its manifest. Checks
 * first that the result resolves (e.g. that no other local file defines a pulled type too), and
 * writes nothing when it does not. Returns the paths written, relative to `dir`.
 */
export function writePulledSchemas(dir: string, pulled: PulledSchemas, manifestPath = join(dir, manifestFile)): string[] {
  const local = existsSync(dir) ? readSchemaDir(dir) : { schemas: [] as SourceFile[] };
  const pulledPaths = new Set(pulled.files.map((file) => file.path));
  const existingManifest = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : undefined;
  const merged = mergeManifest(existingManifest, pulled.topics);
  const schemas = [...local.schemas.filter((file) => !pulledPaths.has(file.path)), ...pulled.files];
  const resolved = resolveSchemas(schemas, { path: manifestFile, text: merged });
  if (resolved.set === undefined) throw new SchemaError(resolved.problems);
  const written: string[] = [];
  for (const file of pulled.files) {
    const path = join(dir, ...file.path.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.text);
    written.push(file.path);
  }
  if (Object.keys(pulled.topics).length > 0 && merged !== existingManifest) {
    mkdirSync(dirname(manifestPath), { recursive: true });
    writeFileSync(manifestPath, merged);
    written.push(relative(dir, manifestPath).split(sep).join('/'));
  }
  return written;
}

// ---------------------------------------------------------------------------------------------
// `mephisto codegen --registry`

export interface RegistryCodegenFlags {
  readonly registry?: string;
  readonly subject?: readonly string[];
  readonly version?: string;
  readonly schemas: string;
  /** The topic manifest to merge bindings into (default `<schemas>/topics.json`). */
  readonly manifest?: string;
}

export interface PullIO {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/**
 * The registry half of `mephisto codegen --registry URL [--subject PATTERN ...] [--version N]`:
 * pulls the subjects into the schema directory (and its manifest) before the usual generation.
 * Returns an exit code: 0 pulled, 1 the registry failed, 2 bad input.
 */
export async function pullForCodegen(
  flags: RegistryCodegenFlags,
  io: PullIO,
  options: { auth?: { username: string; password: string } } = registryAuthFromEnv(),
): Promise<number> {
  if (!flags.registry) return 0;
  let version: number | undefined;
  if (flags.version !== undefined) {
    version = Number(flags.version);
    if (!Number.isInteger(version) || version < 1) {
      io.error(`--version: expected a version number (1, 2, ...), got "${flags.version}"`);
      return 2;
    }
  }
  let registry: SchemaRegistry;
  try {
    registry = openRegistry(flags.registry, options);
  } catch (error) {
    io.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  try {
    const pulled = await pullSubjects(registry, { ...(flags.subject ? { subjects: flags.subject } : {}), ...(version === undefined ? {} : { version }) });
    const written = writePulledSchemas(flags.schemas, pulled, flags.manifest ?? join(flags.schemas, manifestFile));
    const from = (registry as { url?: string }).url ?? 'the registry';
    io.log(`mephisto codegen: pulled ${pulled.subjects.map((s) => `${s.subject} v${s.version}`).join(', ')} from ${from}; wrote ${written.length} files to ${flags.schemas}`);
    for (const reason of pulled.skipped) io.log(`  skipped ${reason}`);
    return 0;
  } catch (error) {
    if (error instanceof SchemaError) {
      io.error(`the pulled schemas do not fit with ${flags.schemas}; nothing written:\n${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.error(error.message);
      return 2;
    }
    if (isMephistoError(error)) {
      io.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await registry.close();
  }
}

