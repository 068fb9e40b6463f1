import { IndentationText, NewLineKind, Project, QuoteKind } from 'ts-morph';
import { SchemaError } from '../src/errors.js';
import type { LongMode } from '../src/avro/long.js';
import { emitEnum } from './emit/enum.js';
import { emitFixed } from './emit/fixed.js';
import { emitIndex } from './emit/index.js';
import { emitRecord } from './emit/record.js';
import { emitRegistry } from './emit/registry.js';
import { ModuleScope, createWriter, header, registryModule, type EmitOptions } from './emit/scope.js';
import { emitTopics } from './emit/topics.js';
import type { NamedType, SchemaSet } from './model.js';
import { modulePath, topicIdentifier, typeIdentifier } from './names.js';
import { compare, resolveSchemas, type SourceFile } from './resolve.js';

export interface GenerateInput {
  /** Every `.avsc` file: a path relative to the schema directory (`/`-separated) and its text. */
  readonly schemas: readonly SourceFile[];
  /** The topic manifest (`topics.json`), if any. */
  readonly manifest?: SourceFile;
}

export interface GenerateOptions {
  /** `number` (default: decoding a long past 2^53 fails with a clear error) or `bigint`. */
  readonly long?: LongMode;
  /** Where generated code imports the model runtime from (default `mephisto/avro`). */
  readonly runtimeModule?: string;
  /** Where generated code imports `defineTopic` and `codecs` from (default `mephisto`). */
  readonly serdeModule?: string;
}

export interface GeneratedFile {
  /** Relative to the output directory, `/`-separated. */
  readonly path: string;
  readonly content: string;
}

/**
 * Turns schemas (and a topic manifest) into TypeScript modules. Pure: no I/O, the same files for
 * the same input on every run. Throws a SchemaError listing every problem of the input.
 */
export function generate(input: GenerateInput, options: GenerateOptions = {}): GeneratedFile[] {
  const resolved = resolveSchemas(input.schemas, input.manifest);
  if (resolved.set === undefined) throw new SchemaError(resolved.problems);
  return emit(resolved.set, {
    long: options.long ?? 'number',
    runtimeModule: options.runtimeModule ?? 'mephisto/avro',
    serdeModule: options.serdeModule ?? 'mephisto',
  }, input.manifest !== undefined);
}

/**
 * The ts-morph project whose writers assemble every module: in memory, with pinned manipulation
 * settings, so that the output is the same bytes on every run and machine.
 */
function createProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: true,
    manipulationSettings: {
      indentationText: IndentationText.TwoSpaces,
      newLineKind: NewLineKind.LineFeed,
      quoteKind: QuoteKind.Single,
      useTrailingCommas: true,
      insertSpaceAfterOpeningAndBeforeClosingNonemptyBraces: true,
    },
  });
}

export function emit(set: SchemaSet, options: EmitOptions, withTopics: boolean): GeneratedFile[] {
  const project = createProject();
  const files: GeneratedFile[] = [];
  for (const type of set.types) files.push(namedTypeModule(project, type, set, options));
  files.push(module(project, registryModule, set, options, [], (writer, scope) => emitRegistry(writer, set, scope)));
  // the topic bindings' identifiers are the module's own: a model named like one is imported under another name
  const topicNames = ['topics', ...set.topics.map((topic) => topicIdentifier(topic.name))];
  if (withTopics) files.push(module(project, 'topics.ts', set, options, topicNames, (writer, scope) => emitTopics(writer, set.topics, scope)));
  files.push(module(project, 'index.ts', set, options, ['models', 'Models', 'types', 'topics'], (writer, scope) => emitIndex(writer, set, scope, withTopics)));
  return files.sort((a, b) => compare(a.path, b.path));
}

function namedTypeModule(project: Project, type: NamedType, set: SchemaSet, options: EmitOptions): GeneratedFile {
  const name = typeIdentifier(type);
  return module(project, modulePath(type), set, options, [name], (writer, scope) => {
    switch (type.kind) {
      case 'record':
        return emitRecord(writer, type, scope, name);
      case 'enum':
        return emitEnum(writer, type, scope, name);
      case 'fixed':
        return emitFixed(writer, type, scope, name);
    }
  }, [type]);
}

/**
 * One output module: the body is written first (so the scope learns what it imports), then the
 * header, the imports and the body are written with a writer of the ts-morph project (its pinned
 * manipulation settings). Modules are written as text rather than built as parsed source files:
 * parsing 200 schemas' output through the compiler doubled the generator's time for no check that
 * `tsc --noEmit` over `generated/` does not already make.
 */
function module(
  project: Project,
  path: string,
  set: SchemaSet,
  options: EmitOptions,
  own: readonly string[],
  body: (writer: ReturnType<typeof createWriter>, scope: ModuleScope) => void,
  ownTypes: readonly NamedType[] = [],
): GeneratedFile {
  const scope = new ModuleScope(path, set, options, own, ownTypes);
  const bodyWriter = project.createWriter();
  body(bodyWriter, scope);
  const writer = project.createWriter();
  writer.writeLine(header);
  scope.writeImports(writer);
  writer.blankLine();
  writer.write(bodyWriter.toString());
  writer.newLineIfLastNot();
  return { path, content: writer.toString() };
}
