export type { AvroSchemaJSON, AvroCodecInfo, Codec, InferCodec } from './codec.js';
export type { TopicBinding, TopicSettings, AnyTopicBinding, InferKey, InferValue } from './binding.js';
export { defineTopic } from './binding.js';
export * as codecs from './codecs.js';
export type { WireFormat, WireCodec } from './wire.js';
export { plainWireFormat } from './wire.js';
