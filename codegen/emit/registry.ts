import type { CodeBlockWriter } from 'ts-morph';
import type { SchemaSet } from '../model.js';
import { jsonLiteral, registryDefinitions } from './schema.js';
import type { ModuleScope } from './scope.js';
import { stringLiteral } from './literal.js';

/**
 * `avro-types.ts`: the avsc types of the whole schema set, built once in one registry, that every
 * generated model takes its `type` from (so a named type is one avsc type wherever it is used).
 */
export function emitRegistry(writer: CodeBlockWriter, set: SchemaSet, scope: ModuleScope): void {
  const AvroTypes = scope.runtime('AvroTypes');
  writer.writeLine('/** The avsc types of every schema of this set, built once and shared by all generated models. */');
  writer.writeLine(`export const types = new ${AvroTypes}(`);
  writer.indent(() => {
    writer.writeLine(`${jsonLiteral(registryDefinitions(set))},`);
    writer.writeLine(`{ long: ${stringLiteral(scope.options.long)} },`);
  });
  writer.writeLine(');');
}
