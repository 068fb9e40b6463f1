import type { CodeBlockWriter } from 'ts-morph';
import type { FixedType } from '../model.js';
import { docComment } from '../names.js';
import { stringLiteral } from './literal.js';
import type { ModuleScope } from './scope.js';
import { logicalValueType } from './types.js';

/** A fixed: its value type (`Buffer`, or `Decimal` for a decimal fixed) and a runtime descriptor. */
export function emitFixed(writer: CodeBlockWriter, type: FixedType, scope: ModuleScope, name: string): void {
  const doc = () => {
    if (type.doc !== undefined) for (const line of docComment(type.doc)) writer.writeLine(line);
  };
  doc();
  const value = type.logical === undefined ? 'Buffer' : logicalValueType(type.logical, scope);
  writer.writeLine(`export type ${name} = ${value};`);
  writer.blankLine();
  doc();
  writer.write(`export const ${name} = ${scope.runtime('defineFixed')}(`).inlineBlock(() => {
    writer.writeLine(`fullName: ${stringLiteral(type.fullName)},`);
    writer.writeLine(`schema: ${scope.registry()}.schema(${stringLiteral(type.fullName)}),`);
    writer.writeLine(`type: ${scope.registry()}.get(${stringLiteral(type.fullName)}),`);
    writer.writeLine(`size: ${type.size},`);
  });
  writer.write(');').newLine();
}
