import type { CodeBlockWriter } from 'ts-morph';
import type { SchemaSet } from '../model.js';
import { importSpecifier, modulePath, qualifiedIdentifier, typeIdentifier } from '../names.js';
import { stringLiteral } from './literal.js';
import { registryModule, type ModuleScope } from './scope.js';

/**
 * `index.ts`: every named type (a simple name two namespaces share is exported under its
 * qualified name, `com_b_Foo`, for both), and `models`, the map from each Avro full name to its
 * class or enum/fixed descriptor, typed per key.
 */
export function emitIndex(writer: CodeBlockWriter, set: SchemaSet, scope: ModuleScope, hasTopics: boolean): void {
  const simpleNames = new Map<string, number>();
  for (const type of set.types) simpleNames.set(type.name, (simpleNames.get(type.name) ?? 0) + 1);
  const locals = set.types.map((type) => ({
    type,
    local: scope.names.claim(type.fullName, (simpleNames.get(type.name) ?? 0) > 1 ? qualifiedIdentifier(type.fullName) : typeIdentifier(type)),
  }));
  for (const { type, local } of [...locals].sort((a, b) => (modulePath(a.type) < modulePath(b.type) ? -1 : 1))) {
    const exported = typeIdentifier(type);
    writer.writeLine(`import { ${exported === local ? local : `${exported} as ${local}`} } from '${importSpecifier(scope.path, modulePath(type))}';`);
  }
  writer.blankLine();
  if (locals.length > 0) writer.writeLine(`export { ${locals.map(({ local }) => local).join(', ')} };`);
  writer.writeLine(`export { types } from '${importSpecifier(scope.path, registryModule)}';`);
  if (hasTopics) writer.writeLine("export { topics } from './topics.js';");
  writer.blankLine();
  writer.writeLine('/** Each Avro full name to its generated class (records) or descriptor (enums, fixed). */');
  writer.write('export const models = ').inlineBlock(() => {
    for (const { type, local } of locals) writer.writeLine(`${stringLiteral(type.fullName)}: ${local},`);
  });
  writer.write(' as const;').newLine();
  writer.writeLine('export type Models = typeof models;');
}
