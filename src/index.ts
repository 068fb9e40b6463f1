// The public API of mephisto. Internal modules are not part of it.
export * from './errors.js';
export * from './serde/index.js';
export type { ModelClass, InferModel } from './avro/model.js';
export {
  openRegistry,
  registryWireFormat,
  MemoryRegistry,
  HttpRegistry,
  topicNameStrategy,
  recordNameStrategy,
  topicRecordNameStrategy,
  explainIncompatibility,
  registryAuthFromEnv,
} from './registry/index.js';
export type {
  SchemaRegistry,
  SchemaReference,
  RegisteredSchema,
  CompatibilityLevel,
  CompatibilityResult,
  OpenRegistryOptions,
  HttpRegistryOptions,
  RegistryCredentials,
  RegistryWireFormatOptions,
  SubjectNameStrategy,
  SubjectNameStrategyOption,
} from './registry/index.js';
export {
  App,
  Agent,
  Stream,
  StreamSource,
  Topic,
  Channel,
  SimulatedClock,
  systemClock,
  runWorker,
} from './app/index.js';
export type {
  AppSettings,
  ProcessingGuarantee,
  AgentOptions,
  AgentHandler,
  AgentSource,
  AskOptions,
  ErrorPolicy,
  InferAgentOutput,
  InferHandlerOutput,
  Event,
  EventContext,
  TakeOptions,
  GroupByOptions,
  Processor,
  Message,
  Sink,
  SendTarget,
  Clock,
  TimerOptions,
  CrontabOptions,
} from './app/index.js';
export { consoleLogger, silentLogger, memoryLogger } from './logging.js';
export type { Logger, LogLevel, MemoryLogger } from './logging.js';
export { openTransport, registerTransport, MemoryBroker, MemoryTransport, RecordBuffer, murmur2, partitionForKey } from './transport/index.js';
export type {
  Transport,
  TransportFactory,
  TransportOptions,
  Admin,
  Producer,
  Consumer,
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerRecord,
  ProducerRecord,
  RecordBatch,
  RecordEncoder,
  RecordHeaders,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
  Transaction,
} from './transport/index.js';
export { Table, WindowedTable, WindowSet, defineTable, tumbling, hopping, sliding, windowRanges } from './tables/index.js';
export type {
  TableOptions,
  TablePartitionStats,
  InferTableKey,
  InferTableValue,
  WindowedOptions,
  WindowWriteOptions,
  WindowRange,
  WindowSpec,
  RelativeTo,
  RecoveryReport,
} from './tables/index.js';
export { serveTables } from './tables/http.js';
export type { TablesServer } from './tables/http.js';
export { createStore } from './store/index.js';
export type { Store, StoreOptions, PartitionCheckpoint, StoredPartition } from './store/index.js';
