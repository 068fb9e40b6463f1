/**
 * From a `kafka://` URL, the transport options and the environment to a kafkajs client config.
 *
 *   kafka://host:port[,host:port...][?name=value&...]
 *
 * URL parameters (tuning only; credentials never go in a URL, where logs would show them):
 *   clientId, ssl=true, sessionTimeout, heartbeatInterval, rebalanceTimeout (ms),
 *   maxWaitTime (ms a fetch waits for data), maxBytesPerPartition, partitionsConsumedConcurrently
 *
 * Security, from TransportOptions first, else the environment:
 *   MEPHISTO_KAFKA_SSL=true                      TLS with the system CAs
 *   MEPHISTO_KAFKA_SSL_CA / _CERT / _KEY         PEM files (a private CA, client certificates)
 *   MEPHISTO_KAFKA_SSL_REJECT_UNAUTHORIZED=false accept any server certificate (tests only)
 *   MEPHISTO_KAFKA_SASL_MECHANISM                plain | scram-sha-256 | scram-sha-512
 *   MEPHISTO_KAFKA_SASL_USERNAME / _PASSWORD
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import kafkajs, { type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { ConfigError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logging.js';
import type { SaslOptions, TransportOptions } from '../types.js';

const { logLevel } = kafkajs;

/** Consumer-group and fetch tuning that the URL may set. */
export interface KafkaTuning {
  readonly sessionTimeout: number;
  readonly heartbeatInterval: number;
  readonly rebalanceTimeout: number;
  readonly maxWaitTime: number;
  readonly maxBytesPerPartition: number;
  readonly partitionsConsumedConcurrently: number;
}

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly client: KafkaConfig;
  readonly tuning: KafkaTuning;
  readonly logger: Logger;
}

const defaultTuning: KafkaTuning = {
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  rebalanceTimeout: 60_000,
  // A fetch returns as soon as there is data; this bounds how long an idle fetch holds up a stop.
  maxWaitTime: 500,
  maxBytesPerPartition: 1_048_576,
  partitionsConsumedConcurrently: 4,
};

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
type Env = Readonly<Record<string, string | undefined>>;

export function parseKafkaUrl(url: string): { brokers: string[]; params: URLSearchParams } {
  const match = /^kafka:\/\/([^?#]*)(?:\?([^#]*))?$/i.exec(url);
  if (match === null) throw new ConfigError('broker', `${JSON.stringify(url)} is not a kafka:// URL; use kafka://host:port[,host:port...]`);
  const hosts = match[1]!.replace(/\/$/, '');
  if (hosts.includes('@')) {
    throw new ConfigError('broker', 'credentials do not belong in the broker URL (logs would show them); pass `sasl` in the transport options or set MEPHISTO_KAFKA_SASL_USERNAME/_PASSWORD');
  }
  const brokers = hosts.split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (brokers.length === 0) throw new ConfigError('broker', `${JSON.stringify(url)} names no broker; use kafka://host:port[,host:port...]`);
  const normalized = brokers.map((broker) => {
    const hostPort = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(broker);
    if (hostPort === null) throw new ConfigError('broker', `${JSON.stringify(broker)} in ${url} is not host:port`);
    return `${hostPort[1]}:${hostPort[2] ?? '9092'}`;
  });
  return { brokers: normalized, params: new URLSearchParams(match[2] ?? '') };
}

function positiveInt(params: URLSearchParams, name: keyof KafkaTuning, fallback: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`broker URL parameter ${name}`, `must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function flag(value: string | null | undefined, setting: string): boolean | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new ConfigError(setting, `must be true or false, got ${JSON.stringify(value)}`);
}

function readPem(env: Env, name: string): string | undefined {
  const path = env[name];
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(name, `cannot read the PEM file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function sslFromEnv(params: URLSearchParams, env: Env): boolean | ConnectionOptions | undefined {
  const enabled = flag(env.MEPHISTO_KAFKA_SSL, 'MEPHISTO_KAFKA_SSL') ?? flag(params.get('ssl'), 'broker URL parameter ssl');
  const ca = readPem(env, 'MEPHISTO_KAFKA_SSL_CA');
  const cert = readPem(env, 'MEPHISTO_KAFKA_SSL_CERT');
  const key = readPem(env, 'MEPHISTO_KAFKA_SSL_KEY');
  const rejectUnauthorized = flag(env.MEPHISTO_KAFKA_SSL_REJECT_UNAUTHORIZED, 'MEPHISTO_KAFKA_SSL_REJECT_UNAUTHORIZED');
  if (ca === undefined && cert === undefined && key === undefined && rejectUnauthorized === undefined) return enabled;
  if (enabled === false) return false;
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
  };
}

function saslFromEnv(env: Env): SaslOptions | undefined {
  const mechanism = env.MEPHISTO_KAFKA_SASL_MECHANISM;
  if (mechanism === undefined || mechanism === '') return undefined;
  const username = env.MEPHISTO_KAFKA_SASL_USERNAME;
  const password = env.MEPHISTO_KAFKA_SASL_PASSWORD;
  if (!username || password === undefined) {
    throw new ConfigError('MEPHISTO_KAFKA_SASL_MECHANISM', 'is set, so MEPHISTO_KAFKA_SASL_USERNAME and MEPHISTO_KAFKA_SASL_PASSWORD must be set too');
  }
  return { mechanism: mechanism.toLowerCase() as SaslOptions['mechanism'], username, password };
}

function checkSasl(sasl: SaslOptions): SASLOptions {
  if (!(SASL_MECHANISMS as readonly string[]).includes(sasl.mechanism)) {
    throw new ConfigError('sasl.mechanism', `${JSON.stringify(sasl.mechanism)} is not supported; use one of ${SASL_MECHANISMS.join(', ')}`);
  }
  // The password is only ever handed to kafkajs; no message of ours includes it.
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
}

/** kafkajs logs through the transport's logger; its INFO chatter (joins, starts, stops) goes to debug. */
export function kafkajsLogCreator(logger: Logger): () => (entry: LogEntry) => void {
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = log as LogEntry['log'] & { logger?: unknown };
    const text = namespace ? `kafkajs ${namespace}: ${message}` : `kafkajs: ${message}`;
    if (level === logLevel.ERROR) logger.error(text, fields);
    else if (level === logLevel.WARN) logger.warn(text, fields);
    else logger.debug(text, fields);
  };
}

export function kafkaSettings(url: string, options: TransportOptions = {}, env: Env = process.env): KafkaSettings {
  const { brokers, params } = parseKafkaUrl(url);
  const logger = options.logger ?? silentLogger;
  const ssl = options.ssl ?? sslFromEnv(params, env);
  const sasl = options.sasl ?? saslFromEnv(env);
  const tuning: KafkaTuning = {
    sessionTimeout: positiveInt(params, 'sessionTimeout', defaultTuning.sessionTimeout),
    heartbeatInterval: positiveInt(params, 'heartbeatInterval', defaultTuning.heartbeatInterval),
    rebalanceTimeout: positiveInt(params, 'rebalanceTimeout', defaultTuning.rebalanceTimeout),
    maxWaitTime: positiveInt(params, 'maxWaitTime', defaultTuning.maxWaitTime),
    maxBytesPerPartition: positiveInt(params, 'maxBytesPerPartition', defaultTuning.maxBytesPerPartition),
    partitionsConsumedConcurrently: positiveInt(params, 'partitionsConsumedConcurrently', defaultTuning.partitionsConsumedConcurrently),
  };
  const client: KafkaConfig = {
    clientId: params.get('clientId') ?? options.clientId ?? 'mephisto',
    brokers: [...brokers],
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl: checkSasl(sasl) }),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    // Broker restarts and network blips: back off from 300 ms up to 30 s, logging each retry.
    retry: { initialRetryTime: 300, maxRetryTime: 30_000, retries: 10, factor: 0.2, multiplier: 2 },
    logLevel: logLevel.INFO,
    logCreator: kafkajsLogCreator(logger),
  };
  return { brokers, client, tuning, logger };
}
