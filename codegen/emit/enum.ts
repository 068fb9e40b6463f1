import type { CodeBlockWriter } from 'ts-morph';
import type { EnumType } from '../model.js';
import { docComment } from '../names.js';
import { stringLiteral } from './literal.js';
import type { ModuleScope } from './scope.js';

/**
 * An enum: a string literal union type, and beside it (same name) a runtime descriptor with the
 * symbols, the default, the schema and the avsc type.
 */
export function emitEnum(writer: CodeBlockWriter, type: EnumType, scope: ModuleScope, name: string): void {
  const doc = () => {
    if (type.doc !== undefined) for (const line of docComment(type.doc)) writer.writeLine(line);
  };
  const symbols = type.symbols.map(stringLiteral);
  doc();
  writer.writeLine(`export type ${name} = ${symbols.length === 0 ? 'never' : symbols.join(' | ')};`);
  writer.blankLine();
  doc();
  writer.write(`export const ${name} = ${scope.runtime('defineEnum')}(`).inlineBlock(() => {
    writer.writeLine(`fullName: ${stringLiteral(type.fullName)},`);
    writer.writeLine(`schema: ${scope.registry()}.schema(${stringLiteral(type.fullName)}),`);
    writer.writeLine(`type: ${scope.registry()}.get(${stringLiteral(type.fullName)}),`);
    writer.writeLine(`symbols: [${symbols.join(', ')}],`);
    if (type.default !== undefined) writer.writeLine(`default: ${stringLiteral(type.default)},`);
  });
  writer.write(');').newLine();
}
