import type { Type } from 'avsc';
import type { CompatibilityLevel, CompatibilityResult } from './types.js';

/**
 * Avro schema resolution, explained. avsc's `reader.createResolver(writer)` is the authority on
 * whether a reader can read a writer's data; when it refuses, `explain` walks both types the way
 * the Avro specification resolves them and says, in words, which field of which record breaks and
 * why, so that `mephisto schemas check` and registration errors point at the cause.
 */

interface AvroTypeLike {
  readonly typeName: string;
  readonly name?: string | undefined;
  readonly aliases?: readonly string[] | undefined;
  readonly fields?: readonly AvroFieldLike[];
  readonly symbols?: readonly string[];
  readonly default?: unknown;
  readonly size?: number;
  readonly itemsType?: AvroTypeLike;
  readonly valuesType?: AvroTypeLike;
  readonly types?: readonly AvroTypeLike[];
  readonly underlyingType?: AvroTypeLike;
}

interface AvroFieldLike {
  readonly name: string;
  readonly type: AvroTypeLike;
  readonly aliases: readonly string[];
  defaultValue(): unknown;
}

/** Whether `reader` can read data written with `writer` (Avro schema resolution). */
export function canRead(reader: Type, writer: Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `reader` cannot read data written with `writer`: one message per break, naming the record
 * field (`com.acme.Click.userId`) and the types involved. Empty when it can.
 */
export function explainIncompatibility(reader: Type, writer: Type): string[] {
  let resolverError: unknown;
  try {
    reader.createResolver(writer);
    return [];
  } catch (error) {
    resolverError = error;
  }
  const messages: string[] = [];
  walk(reader as unknown as AvroTypeLike, writer as unknown as AvroTypeLike, describe(reader as unknown as AvroTypeLike), messages, new Set());
  if (messages.length === 0) {
    messages.push(`${describe(reader as unknown as AvroTypeLike)}: ${String((resolverError as Error)?.message ?? resolverError)}`);
  }
  return messages;
}

function walk(reader: AvroTypeLike, writer: AvroTypeLike, path: string, out: string[], seen: Set<string>): void {
  if (canReadLike(reader, writer)) return;
  if (reader.typeName.startsWith('logical:') && reader.typeName === writer.typeName && canReadLike(unwrapLogical(reader), unwrapLogical(writer))) {
    // the same logical type over readable bytes: refused by the logical type itself (a decimal of
    // another precision or scale), whose resolver says why
    out.push(`${path}: ${resolverRefusal(reader, writer)}`);
    return;
  }
  const r = unwrapLogical(reader);
  const w = unwrapLogical(writer);
  if (isUnion(w)) {
    for (const branch of w.types ?? []) {
      if (!canReadLike(r, branch)) {
        if (isUnion(r)) {
          out.push(`${path}: the writer's union branch ${describe(branch)} matches no branch of the reader's union ${describe(r)}`);
        } else {
          walk(r, branch, path, out, seen);
          if (!out.length) out.push(`${path}: the writer's union branch ${describe(branch)} cannot be read as ${describe(r)}`);
        }
      }
    }
    return;
  }
  if (isUnion(r)) {
    const sameKind = (r.types ?? []).find((branch) => unwrapLogical(branch).typeName === w.typeName && nameOf(branch) === nameOf(w));
    if (sameKind) return walk(sameKind, w, path, out, seen);
    out.push(`${path}: the writer's ${describe(w)} matches no branch of the reader's union ${describe(r)}`);
    return;
  }
  if (r.typeName !== w.typeName) {
    out.push(`${path}: the writer's ${describe(w)} cannot be read as ${describe(r)}${promotionHint(r, w)}`);
    return;
  }
  switch (r.typeName) {
    case 'record':
    case 'error': {
      const key = `${r.name}:${w.name}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (!namesMatch(r, w)) {
        out.push(`${path}: record ${r.name} cannot read record ${w.name} (different names; add "aliases": ["${w.name}"] to the reader)`);
        return;
      }
      const writerFields = new Map((w.fields ?? []).map((f) => [f.name, f]));
      for (const field of r.fields ?? []) {
        const fieldPath = `${r.name}.${field.name}`;
        const match = [field.name, ...field.aliases].map((n) => writerFields.get(n)).find((f) => f !== undefined);
        if (!match) {
          if (field.defaultValue() === undefined) {
            out.push(`${fieldPath}: the reader's field has no default and the writer (${w.name}) has no field "${field.name}"${field.aliases.length ? ` nor its aliases ${field.aliases.join(', ')}` : ''}; give it a default`);
          }
          continue;
        }
        walk(field.type, match.type, fieldPath, out, seen);
      }
      return;
    }
    case 'enum': {
      if (!namesMatch(r, w)) {
        out.push(`${path}: enum ${r.name} cannot read enum ${w.name} (different names)`);
        return;
      }
      const missing = (w.symbols ?? []).filter((s) => !(r.symbols ?? []).includes(s));
      if (missing.length && r.default === undefined) {
        out.push(`${path}: the writer's enum ${w.name} has symbols ${missing.join(', ')} that the reader lacks, and the reader's enum has no default`);
      }
      return;
    }
    case 'fixed': {
      if (!namesMatch(r, w)) out.push(`${path}: fixed ${r.name} cannot read fixed ${w.name} (different names)`);
      else if (r.size !== w.size) out.push(`${path}: fixed ${r.name} has size ${r.size}, the writer's has size ${w.size}`);
      return;
    }
    case 'array':
      if (r.itemsType && w.itemsType) walk(r.itemsType, w.itemsType, `${path}[]`, out, seen);
      return;
    case 'map':
      if (r.valuesType && w.valuesType) walk(r.valuesType, w.valuesType, `${path}{}`, out, seen);
      return;
    default:
      out.push(`${path}: the writer's ${describe(w)} cannot be read as ${describe(r)}`);
  }
}

function resolverRefusal(reader: AvroTypeLike, writer: AvroTypeLike): string {
  try {
    (reader as unknown as Type).createResolver(writer as unknown as Type);
    return `the writer's ${describe(writer)} cannot be read as ${describe(reader)}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function canReadLike(reader: AvroTypeLike, writer: AvroTypeLike): boolean {
  return canRead(reader as unknown as Type, writer as unknown as Type);
}

function unwrapLogical(type: AvroTypeLike): AvroTypeLike {
  return type.typeName.startsWith('logical:') && type.underlyingType ? type.underlyingType : type;
}

/** avsc names unions `union:unwrapped` or `union:wrapped`. */
function isUnion(type: AvroTypeLike): boolean {
  return type.typeName.startsWith('union');
}

function nameOf(type: AvroTypeLike): string | undefined {
  return unwrapLogical(type).name;
}

function namesMatch(reader: AvroTypeLike, writer: AvroTypeLike): boolean {
  return reader.name === writer.name || (reader.aliases ?? []).includes(writer.name ?? '');
}

function describe(type: AvroTypeLike): string {
  const t = unwrapLogical(type);
  if (isUnion(t)) return `[${(t.types ?? []).map(describe).join(', ')}]`;
  switch (t.typeName) {
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed':
      return `${t.typeName} ${t.name}`;
    case 'array':
      return `array<${t.itemsType ? describe(t.itemsType) : '?'}>`;
    case 'map':
      return `map<${t.valuesType ? describe(t.valuesType) : '?'}>`;
    default:
      return t.typeName;
  }
}

const promotions: Readonly<Record<string, readonly string[]>> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  string: ['bytes'],
  bytes: ['string'],
};

function promotionHint(reader: AvroTypeLike, writer: AvroTypeLike): string {
  const narrower = Object.entries(promotions)
    .filter(([, from]) => from.includes(reader.typeName))
    .map(([to]) => to);
  if (narrower.includes(writer.typeName)) {
    return ` (Avro promotes ${reader.typeName} to ${writer.typeName}, never back)`;
  }
  return '';
}

/**
 * Checks a candidate schema against a subject's versions (oldest first) under a compatibility
 * level, the way Confluent's registry does: BACKWARD means the candidate reads the data written
 * with the latest version, FORWARD means the latest version reads the candidate's data, FULL both;
 * the transitive levels check every version instead of the latest.
 */
export function checkCompatibilityLevel(
  level: CompatibilityLevel,
  candidate: Type,
  versions: readonly { readonly version: number; readonly type: Type }[],
): CompatibilityResult {
  if (level === 'NONE' || versions.length === 0) return { compatible: true, messages: [] };
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? versions : versions.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const { version, type } of against) {
    if (backward) {
      for (const m of explainIncompatibility(candidate, type)) {
        messages.push(`new schema cannot read data written with version ${version} (${level}): ${m}`);
      }
    }
    if (forward) {
      for (const m of explainIncompatibility(type, candidate)) {
        messages.push(`version ${version} cannot read data written with the new schema (${level}): ${m}`);
      }
    }
  }
  return { compatible: messages.length === 0, messages };
}

export const compatibilityLevels: readonly CompatibilityLevel[] = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
];

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (compatibilityLevels as readonly string[]).includes(value);
}
