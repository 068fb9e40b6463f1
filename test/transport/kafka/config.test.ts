/**
 * The kafka:// driver's pure parts, without a broker: URL and environment to kafkajs settings,
 * the topic checks, and the error messages. The driver against a real broker is test/kafka.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConfigError, isTopicMismatchError } from '../../../src/errors.js';
import { checkTopic } from '../../../src/transport/topic-check.js';
import { kafkaSettings, parseKafkaUrl } from '../../../src/transport/kafka/config.js';
import { toTransportError } from '../../../src/transport/kafka/errors.js';
import { thrown } from '../../errors.js';

describe('kafka:// URLs', () => {
  it.each([
    ['kafka://127.0.0.1:9092', ['127.0.0.1:9092']],
    ['kafka://b1:9092,b2:9093', ['b1:9092', 'b2:9093']],
    ['kafka://broker', ['broker:9092']],
    ['kafka://b1, b2:19092/', ['b1:9092', 'b2:19092']],
    ['kafka://[::1]:9092', ['[::1]:9092']],
  ])('%s names the brokers %j', (url, brokers) => {
    expect(parseKafkaUrl(url).brokers).toEqual(brokers);
  });

  it.each([
    ['memory://', 'is not a kafka:// URL'],
    ['kafka://', 'names no broker'],
    ['kafka://user:secret@b1:9092', 'credentials do not belong in the broker URL'],
    ['kafka://b1:port', 'is not host:port'],
  ])('%s is refused: %s', (url, message) => {
    const error = thrown(() => parseKafkaUrl(url));
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('secret');
  });

  it('takes tuning from the URL and refuses nonsense', () => {
    const { tuning, client } = kafkaSettings('kafka://b:9092?sessionTimeout=6000&heartbeatInterval=1000&clientId=mine', {}, {});
    expect(tuning).toMatchObject({ sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 60_000 });
    expect(client.clientId).toBe('mine');
    expect(thrown(() => kafkaSettings('kafka://b:9092?sessionTimeout=soon', {}, {})).message).toContain('sessionTimeout');
  });
});

describe('kafka:// security settings', () => {
  it('prefers transport options to the environment', () => {
    const settings = kafkaSettings(
      'kafka://b:9094',
      { sasl: { mechanism: 'plain', username: 'app', password: 'from-options' } },
      { MEPHISTO_KAFKA_SASL_MECHANISM: 'scram-sha-256', MEPHISTO_KAFKA_SASL_USERNAME: 'env', MEPHISTO_KAFKA_SASL_PASSWORD: 'from-env' },
    );
    expect(settings.client.sasl).toEqual({ mechanism: 'plain', username: 'app', password: 'from-options' });
  });

  it('reads SASL and TLS from the environment, PEM files included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mephisto-kafka-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const settings = kafkaSettings('kafka://b:9093', {}, {
      MEPHISTO_KAFKA_SSL: 'true',
      MEPHISTO_KAFKA_SSL_CA: join(dir, 'ca.pem'),
      MEPHISTO_KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
      MEPHISTO_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      MEPHISTO_KAFKA_SASL_USERNAME: 'app',
      MEPHISTO_KAFKA_SASL_PASSWORD: 'pw',
    });
    expect(settings.client.ssl).toEqual({ ca: 'CA PEM', rejectUnauthorized: false });
    expect(settings.client.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'app', password: 'pw' });
    expect(kafkaSettings('kafka://b:9093?ssl=true', {}, {}).client.ssl).toBe(true);
    expect(kafkaSettings('kafka://b:9093', {}, {}).client.ssl).toBeUndefined();
  });

  it('says which variable is missing or wrong, never the password', () => {
    const partial = thrown(() => kafkaSettings('kafka://b:9093', {}, { MEPHISTO_KAFKA_SASL_MECHANISM: 'plain', MEPHISTO_KAFKA_SASL_PASSWORD: 'hunter2' }));
    expect(partial.message).toContain('MEPHISTO_KAFKA_SASL_USERNAME');
    expect(partial.message).not.toContain('hunter2');
    const mechanism = thrown(() => kafkaSettings('kafka://b:9093', { sasl: { mechanism: 'gssapi' as 'plain', username: 'u', password: 'hunter2' } }, {}));
    expect(mechanism.message).toContain('plain, scram-sha-256, scram-sha-512');
    expect(mechanism.message).not.toContain('hunter2');
    const pem = thrown(() => kafkaSettings('kafka://b:9093', {}, { MEPHISTO_KAFKA_SSL_CA: '/nonexistent/ca.pem' }));
    expect(pem.message).toContain('/nonexistent/ca.pem');
  });
});

describe('declared topics against existing ones', () => {
  const existing = { topic: 'orders', partitions: 4, replicationFactor: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': '1000' } };

  it('accepts a matching topic and ignores settings that are the operator’s', () => {
    expect(() => checkTopic({ topic: 'orders', partitions: 4, config: { 'retention.ms': '5' } }, existing)).not.toThrow();
    expect(() => checkTopic({ topic: 'orders', partitions: 4, config: { 'cleanup.policy': 'delete' } }, existing)).not.toThrow();
  });

  it.each([
    [{ topic: 'orders', partitions: 8 }, 'Topic orders exists with partitions=4, but the app declares partitions=8', 'kafka-topics.sh --alter --partitions 8'],
    [{ topic: 'orders', partitions: 2 }, 'declares partitions=2', 'Kafka cannot remove partitions'],
    [{ topic: 'orders', partitions: 4, config: { 'cleanup.policy': 'compact' } }, 'cleanup.policy=delete, but the app declares cleanup.policy=compact', 'kafka-configs.sh'],
  ])('refuses %j', (spec, what, advice) => {
    const error = thrown(() => checkTopic(spec, existing));
    expect(isTopicMismatchError(error)).toBe(true);
    expect(error.message).toContain(what);
    expect(error.message).toContain(advice);
  });

  it('compares cleanup policies as sets', () => {
    const both = { ...existing, config: { 'cleanup.policy': 'delete,compact' } };
    expect(() => checkTopic({ topic: 'orders', partitions: 4, config: { 'cleanup.policy': 'compact, delete' } }, both)).not.toThrow();
  });
});

describe('kafkajs errors as TransportErrors', () => {
  it('says what to do about an unreachable broker, a failed login and a fenced producer', () => {
    const connection = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' });
    expect(toTransportError('connect', connection, ['127.0.0.1:1']).message).toContain('Is a broker running at 127.0.0.1:1? (locally: scripts/kafka.sh start)');
    const sasl = Object.assign(new Error('SASL SCRAM SHA256 authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    expect(toTransportError('connect', sasl, ['b:9094']).message).toContain('Check the SASL mechanism, username and password');
    const fenced = Object.assign(new Error('There is a newer producer with the same transactionalId'), { type: 'PRODUCER_FENCED' });
    const error = toTransportError('commit', new Error('wrapped', { cause: fenced }), ['b:9092'], { topic: 'out', partition: 2 });
    expect(error.message).toMatch(/^Transport commit on out\[2\] failed: wrapped \(PRODUCER_FENCED\)\. Another producer/);
  });
});
