import { ConfigError } from '../errors.js';
import type { AvroSchemaJSON } from '../serde/codec.js';
import { namedTypeName } from './schema.js';

/** Which registry subject a topic's key or value schema lives under. */
export type SubjectNameStrategy = (topic: string, part: 'key' | 'value', schema: AvroSchemaJSON) => string;

/** Confluent's default: `<topic>-key` and `<topic>-value`; one schema lineage per topic. */
export const topicNameStrategy: SubjectNameStrategy = (topic, part) => `${topic}-${part}`;

/** `<record full name>`: one lineage per record type, shared by every topic that carries it. */
export const recordNameStrategy: SubjectNameStrategy = (topic, part, schema) => recordName(topic, part, schema, 'RecordNameStrategy');

/** `<topic>-<record full name>`: several record types per topic, each with its own lineage. */
export const topicRecordNameStrategy: SubjectNameStrategy = (topic, part, schema) =>
  `${topic}-${recordName(topic, part, schema, 'TopicRecordNameStrategy')}`;

function recordName(topic: string, part: 'key' | 'value', schema: AvroSchemaJSON, strategy: string): string {
  const name = namedTypeName(schema);
  if (name === undefined) {
    throw new ConfigError(
      'subjectNameStrategy',
      `${strategy} needs a named Avro type, but the ${part} of topic ${topic} has schema ${JSON.stringify(schema)}; use the topic strategy for this part (keySubjectNameStrategy: 'topic')`,
    );
  }
  return name;
}

export type SubjectNameStrategyOption = 'topic' | 'record' | 'topic-record' | SubjectNameStrategy;

export function subjectNameStrategy(option: SubjectNameStrategyOption | undefined): SubjectNameStrategy {
  switch (option) {
    case undefined:
    case 'topic':
      return topicNameStrategy;
    case 'record':
      return recordNameStrategy;
    case 'topic-record':
      return topicRecordNameStrategy;
    default:
      if (typeof option === 'function') return option;
      throw new ConfigError('subjectNameStrategy', `unknown strategy ${JSON.stringify(option)}; use 'topic', 'record', 'topic-record' or a function`);
  }
}
