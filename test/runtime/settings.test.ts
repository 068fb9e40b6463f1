import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/app/settings.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging.js';
import { thrown } from '../errors.js';

describe('App settings: in code, else from the environment, else defaults', () => {
  it('defaults with an empty environment', () => {
    const s = resolveSettings('clicks', { env: {}, logger: silentLogger });
    expect(s).toMatchObject({
      broker: 'memory://',
      registry: undefined,
      store: 'memory://',
      dataDir: '.mephisto/clicks',
      topicPartitions: 8,
      commitInterval: 1000,
      maxBatchSize: 1000,
      bufferSize: 4096,
      shutdownTimeout: 30_000,
      processingGuarantee: 'at_least_once',
      web: undefined,
    });
  });

  it('takes each MEPHISTO_* variable when the code does not say', () => {
    const env = {
      MEPHISTO_BROKER: 'kafka://b1:9092',
      MEPHISTO_REGISTRY: 'http://registry:8081',
      MEPHISTO_STORE: 'level://',
      MEPHISTO_DATA_DIR: '/var/lib/workers',
      MEPHISTO_TOPIC_PARTITIONS: '12',
      MEPHISTO_COMMIT_INTERVAL: '250',
      MEPHISTO_PROCESSING_GUARANTEE: 'exactly_once',
      MEPHISTO_WEB_PORT: '6066',
      MEPHISTO_WEB_HOST: '0.0.0.0',
    };
    expect(resolveSettings('clicks', { env, logger: silentLogger })).toMatchObject({
      broker: 'kafka://b1:9092',
      registry: 'http://registry:8081',
      store: 'level://',
      dataDir: '/var/lib/workers/clicks',
      topicPartitions: 12,
      commitInterval: 250,
      processingGuarantee: 'exactly_once',
      web: { port: 6066, host: '0.0.0.0' },
    });
  });

  it('lets the code override the environment', () => {
    const env = { MEPHISTO_BROKER: 'kafka://b1:9092', MEPHISTO_TOPIC_PARTITIONS: '12', MEPHISTO_WEB_PORT: '6066' };
    const s = resolveSettings('clicks', { env, logger: silentLogger, broker: 'memory://test', topicPartitions: 3, webPort: 0, webHost: '::1' });
    expect(s).toMatchObject({ broker: 'memory://test', topicPartitions: 3, web: { port: 0, host: '::1' } });
  });

  it('an empty variable counts as unset', () => {
    const s = resolveSettings('clicks', { env: { MEPHISTO_REGISTRY: '', MEPHISTO_WEB_PORT: '', MEPHISTO_BROKER: '' }, logger: silentLogger });
    expect(s).toMatchObject({ registry: undefined, web: undefined, broker: 'memory://' });
  });

  it.each([
    [{ MEPHISTO_TOPIC_PARTITIONS: 'eight' }, 'topicPartitions (MEPHISTO_TOPIC_PARTITIONS)', 'must be a positive integer, got "eight"'],
    [{ MEPHISTO_COMMIT_INTERVAL: '0' }, 'commitInterval (MEPHISTO_COMMIT_INTERVAL)', 'must be a positive integer, got "0"'],
    [{ MEPHISTO_PROCESSING_GUARANTEE: 'exactly-once' }, 'processingGuarantee (MEPHISTO_PROCESSING_GUARANTEE)', 'must be at_least_once or exactly_once'],
    [{ MEPHISTO_LOG_LEVEL: 'loud' }, 'logLevel (MEPHISTO_LOG_LEVEL)', 'must be one of debug, info, warn, error, silent; got "loud"'],
    [{ MEPHISTO_WEB_PORT: '70000' }, 'webPort (MEPHISTO_WEB_PORT)', 'must be a port number from 0 to 65535 (0: any free port), got "70000"'],
    [{ MEPHISTO_WEB_PORT: 'http' }, 'webPort (MEPHISTO_WEB_PORT)', 'got "http"'],
  ])('%j is a ConfigError naming the setting and its variable', (env, setting, message) => {
    const error = thrown(() => resolveSettings('clicks', { env }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
    expect(error.message).toContain(message);
  });
});
