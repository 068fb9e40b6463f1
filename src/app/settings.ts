/**
 * App settings: given in code, or taken from environment variables, or defaults, in that order.
 *
 * | setting          | environment variable       | default                  |
 * | ---------------- | -------------------------- | ------------------------ |
 * | broker           | MEPHISTO_BROKER            | `memory://`              |
 * | registry         | MEPHISTO_REGISTRY          | none (plain codec bytes) |
 * | registryOptions.subjectNameStrategy | MEPHISTO_REGISTRY_SUBJECT_STRATEGY | `topic` |
 * | registryOptions.keySubjectNameStrategy | MEPHISTO_REGISTRY_KEY_SUBJECT_STRATEGY | `topic` |
 * | registryOptions.autoRegister | MEPHISTO_REGISTRY_AUTO_REGISTER | `true`     |
 * | registryOptions.fetchRetryMs | MEPHISTO_REGISTRY_FETCH_RETRY_MS | 30000 (ms) |
 * | registry credentials | MEPHISTO_REGISTRY_USERNAME, MEPHISTO_REGISTRY_PASSWORD | none |
 * | store            | MEPHISTO_STORE             | `memory://`              |
 * | dataDir          | MEPHISTO_DATA_DIR          | `.mephisto/<app id>`     |
 * | logLevel         | MEPHISTO_LOG_LEVEL         | `info`                   |
 * | topicPartitions  | MEPHISTO_TOPIC_PARTITIONS  | 8                        |
 * | commitInterval   | MEPHISTO_COMMIT_INTERVAL   | 1000 (ms)                |
 * | processingGuarantee | MEPHISTO_PROCESSING_GUARANTEE | `at_least_once`     |
 * | webPort          | MEPHISTO_WEB_PORT          | none (no HTTP view)      |
 * | webHost          | MEPHISTO_WEB_HOST          | `127.0.0.1`              |
 */
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { consoleLogger, isLogLevel, type LogLevel, type Logger } from '../logging.js';
import { registryAuthFromEnv } from '../registry/credentials.js';
import type { SchemaRegistry } from '../registry/types.js';
import type { RegistryWireFormatOptions } from '../registry/wire.js';
import type { Transport } from '../transport/types.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

export interface AppSettings {
  /** `memory://[name]` (embedded) or `kafka://host:port[,host:port]`, or a Transport. */
  readonly broker?: string | Transport;
  /** `memory://` or `http(s)://...` of a Confluent-compatible registry, or a SchemaRegistry. */
  readonly registry?: string | SchemaRegistry;
  /**
   * How values go through the registry: subject name strategies (`'topic'`, `'record'`,
   * `'topic-record'` or a function), `autoRegister`, `fetchRetryMs`. Each also comes from its
   * environment variable (see the table above) when not given here.
   */
  readonly registryOptions?: RegistryWireFormatOptions;
  /** Where tables keep state: `memory://` or `level://`. */
  readonly store?: string;
  /** This app's data directory (table stores). */
  readonly dataDir?: string;
  readonly logger?: Logger;
  readonly logLevel?: LogLevel;
  /**
   * Partitions of the topics the app creates when a binding does not say. Repartition topics
   * (`groupBy`) take their source topic's count instead, unless `groupBy` is given `partitions`.
   */
  readonly topicPartitions?: number;
  /** How often processed offsets are committed, in ms. */
  readonly commitInterval?: number;
  /** Records per batch the consumer hands over. Default 1000. */
  readonly maxBatchSize?: number;
  /** Default capacity of each agent instance's input queue (back-pressure bound). Default 4096. */
  readonly bufferSize?: number;
  /** How long shutdown waits for in-flight events, in ms. Default 30000. */
  readonly shutdownTimeout?: number;
  /** Time source (the test driver passes a simulated clock). */
  readonly clock?: Clock;
  /**
   * `at_least_once` (default) or `exactly_once`: each source partition's sends, table changelog
   * writes and offsets go in one Kafka transaction per commit (see ./exactly-once.ts).
   */
  readonly processingGuarantee?: ProcessingGuarantee;
  /**
   * Port of the worker's HTTP view of its tables (`GET /tables`, `/tables/<name>/<key>`); `0`
   * picks a free port. Unset: no HTTP view.
   */
  readonly webPort?: number;
  /** Address the HTTP view listens on. Default `127.0.0.1` (this machine only). */
  readonly webHost?: string;
  /** Environment to read settings from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedSettings {
  readonly broker: string | Transport;
  readonly registry: string | SchemaRegistry | undefined;
  readonly registryOptions: RegistryWireFormatOptions;
  /** Credentials for a registry given by URL (from MEPHISTO_REGISTRY_USERNAME/PASSWORD). */
  readonly registryAuth: ReturnType<typeof registryAuthFromEnv>;
  readonly store: string;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly topicPartitions: number;
  readonly commitInterval: number;
  readonly maxBatchSize: number;
  readonly bufferSize: number;
  readonly shutdownTimeout: number;
  readonly clock: Clock;
  readonly processingGuarantee: ProcessingGuarantee;
  /** Where the HTTP view of the tables listens; undefined: no HTTP view. */
  readonly web: { readonly port: number; readonly host: string } | undefined;
}

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once';

function processingGuarantee(value: string | undefined): ProcessingGuarantee {
  if (value === undefined || value === '') return 'at_least_once';
  if (value === 'at_least_once' || value === 'exactly_once') return value;
  throw new ConfigError('processingGuarantee (MEPHISTO_PROCESSING_GUARANTEE)', `must be at_least_once or exactly_once; got ${JSON.stringify(value)}`);
}

function positiveInt(setting: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(setting, `must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** The HTTP view's address, when a port is given (0 to 65535; 0: any free port). */
function webAddress(port: number | string | undefined, host: string | undefined): ResolvedSettings['web'] {
  if (port === undefined || port === '') return undefined;
  const n = typeof port === 'number' ? port : Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError('webPort (MEPHISTO_WEB_PORT)', `must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(port)}`);
  }
  return { port: n, host: host || '127.0.0.1' };
}

const STRATEGIES = ['topic', 'record', 'topic-record'] as const;

/** A subject name strategy given in code (checked when used) or named in the environment. */
function strategy(setting: string, value: RegistryWireFormatOptions['subjectNameStrategy'], text: string | undefined): RegistryWireFormatOptions['subjectNameStrategy'] {
  if (value !== undefined) return value;
  if (text === undefined || text === '') return undefined;
  if ((STRATEGIES as readonly string[]).includes(text)) return text as (typeof STRATEGIES)[number];
  throw new ConfigError(setting, `must be one of ${STRATEGIES.join(', ')}; got ${JSON.stringify(text)}`);
}

function flag(setting: string, value: boolean | undefined, text: string | undefined): boolean | undefined {
  if (value !== undefined) return value;
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(setting, `must be true or false; got ${JSON.stringify(text)}`);
}

function nonNegativeInt(setting: string, value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(setting, `must be a whole number of milliseconds (0 or more), got ${JSON.stringify(value)}`);
  return n;
}

function registryOptions(given: RegistryWireFormatOptions, env: Readonly<Record<string, string | undefined>>): RegistryWireFormatOptions {
  const options: { -readonly [K in keyof RegistryWireFormatOptions]: RegistryWireFormatOptions[K] } = { ...given };
  options.subjectNameStrategy = strategy('registryOptions.subjectNameStrategy (MEPHISTO_REGISTRY_SUBJECT_STRATEGY)', given.subjectNameStrategy, env.MEPHISTO_REGISTRY_SUBJECT_STRATEGY);
  options.keySubjectNameStrategy = strategy('registryOptions.keySubjectNameStrategy (MEPHISTO_REGISTRY_KEY_SUBJECT_STRATEGY)', given.keySubjectNameStrategy, env.MEPHISTO_REGISTRY_KEY_SUBJECT_STRATEGY);
  options.autoRegister = flag('registryOptions.autoRegister (MEPHISTO_REGISTRY_AUTO_REGISTER)', given.autoRegister, env.MEPHISTO_REGISTRY_AUTO_REGISTER);
  options.fetchRetryMs = nonNegativeInt('registryOptions.fetchRetryMs (MEPHISTO_REGISTRY_FETCH_RETRY_MS)', given.fetchRetryMs ?? env.MEPHISTO_REGISTRY_FETCH_RETRY_MS);
  for (const key of Object.keys(options) as (keyof RegistryWireFormatOptions)[]) if (options[key] === undefined) delete options[key];
  return options;
}

export function resolveSettings(id: string, settings: AppSettings): ResolvedSettings {
  const env = settings.env ?? process.env;
  const levelText = settings.logLevel ?? env.MEPHISTO_LOG_LEVEL ?? 'info';
  if (!isLogLevel(levelText)) {
    throw new ConfigError('logLevel (MEPHISTO_LOG_LEVEL)', `must be one of debug, info, warn, error, silent; got ${JSON.stringify(levelText)}`);
  }
  const registry = settings.registry ?? (env.MEPHISTO_REGISTRY === '' ? undefined : env.MEPHISTO_REGISTRY);
  return {
    broker: settings.broker ?? (env.MEPHISTO_BROKER || 'memory://'),
    registry,
    registryOptions: registryOptions(settings.registryOptions ?? {}, env),
    registryAuth: registryAuthFromEnv(env),
    store: settings.store ?? (env.MEPHISTO_STORE || 'memory://'),
    dataDir: settings.dataDir ?? (env.MEPHISTO_DATA_DIR ? join(env.MEPHISTO_DATA_DIR, id) : join('.mephisto', id)),
    logger: settings.logger ?? consoleLogger(id, levelText),
    topicPartitions: positiveInt('topicPartitions (MEPHISTO_TOPIC_PARTITIONS)', settings.topicPartitions ?? env.MEPHISTO_TOPIC_PARTITIONS, 8),
    commitInterval: positiveInt('commitInterval (MEPHISTO_COMMIT_INTERVAL)', settings.commitInterval ?? env.MEPHISTO_COMMIT_INTERVAL, 1000),
    maxBatchSize: positiveInt('maxBatchSize', settings.maxBatchSize, 1000),
    bufferSize: positiveInt('bufferSize', settings.bufferSize, 4096),
    shutdownTimeout: positiveInt('shutdownTimeout', settings.shutdownTimeout, 30_000),
    clock: settings.clock ?? systemClock,
    processingGuarantee: processingGuarantee(settings.processingGuarantee ?? env.MEPHISTO_PROCESSING_GUARANTEE),
    web: webAddress(settings.webPort ?? env.MEPHISTO_WEB_PORT, settings.webHost ?? env.MEPHISTO_WEB_HOST),
  };
}
