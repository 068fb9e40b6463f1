import type { CodeBlockWriter } from 'ts-morph';
import type { Topic, TopicPart } from '../model.js';
import { docComment, topicIdentifier } from '../names.js';
import { stringLiteral } from './literal.js';
import { SchemaWriter, jsonLiteral } from './schema.js';
import type { ModuleScope } from './scope.js';
import { valueType } from './types.js';

/**
 * `topics.ts`: one `defineTopic` binding per topic of the manifest, carrying the key and value
 * types in their codecs, and a `topics` object of them all.
 */
export function emitTopics(writer: CodeBlockWriter, topics: readonly Topic[], scope: ModuleScope): void {
  const identifiers = topics.map((topic) => topicIdentifier(topic.name));
  topics.forEach((topic, i) => {
    const identifier = identifiers[i]!;
    if (topic.doc !== undefined) for (const line of docComment(topic.doc)) writer.writeLine(line);
    writer.write(`export const ${identifier} = ${scope.serde('defineTopic')}(`).inlineBlock(() => {
      writer.writeLine(`name: ${stringLiteral(topic.name)},`);
      writer.writeLine(`key: ${codec(topic.key, scope)},`);
      writer.writeLine(`value: ${codec(topic.value, scope)},`);
      if (topic.partitions !== undefined) writer.writeLine(`partitions: ${topic.partitions},`);
      if (topic.replicationFactor !== undefined) writer.writeLine(`replicationFactor: ${topic.replicationFactor},`);
      if (topic.config !== undefined) {
        const entries = Object.entries(topic.config).map(([key, value]) => `${stringLiteral(key)}: ${stringLiteral(value)}`);
        writer.writeLine(`config: { ${entries.join(', ')} },`);
      }
    });
    writer.write(');').newLine();
    writer.blankLine();
  });
  writer.writeLine('/** Every topic binding of the manifest. */');
  writer.writeLine(`export const topics = { ${identifiers.join(', ')} } as const;`);
}

function codec(part: TopicPart, scope: ModuleScope): string {
  const codecs = scope.serde('codecs');
  switch (part.kind) {
    case 'string':
      return `${codecs}.string`;
    case 'bytes':
      return `${codecs}.bytes`;
    case 'avro': {
      const ref = part.type;
      if (ref.kind === 'named') {
        const named = scope.set.byName.get(ref.fullName)!;
        const local = scope.typeName(ref.fullName, true);
        if (named.kind === 'record') return `${codecs}.model(${local})`;
        return `${scope.registry()}.codec<${local}>(${stringLiteral(ref.fullName)})`;
      }
      const type = valueType(ref, scope);
      if (ref.kind === 'primitive' && (ref.name !== 'long' || scope.options.long === 'number')) {
        return `${codecs}.avroSchema<${type}>(${stringLiteral(ref.name)})`;
      }
      return `${scope.registry()}.codec<${type}>(${jsonLiteral(new SchemaWriter(scope.set).type(ref, ''))})`;
    }
  }
}
