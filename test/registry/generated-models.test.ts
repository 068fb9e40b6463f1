import { describe, expect, it } from 'vitest';
import { Click } from '../../generated/com/acme/clicks/Click.js';
import { MemoryRegistry, registryWireFormat } from '../../src/registry/index.js';
import { codecs } from '../../src/serde/index.js';

/**
 * The wire format with the generated models of `schemas/`: data written with an older Click schema
 * decodes into instances of the current generated class, logical types included.
 */
const olderClick = {
  type: 'record',
  name: 'Click',
  namespace: 'com.acme.clicks',
  fields: [
    { name: 'url', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'sessionId', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'timestamp', type: { type: 'int' } },
    { name: 'legacyScore', type: 'double' },
  ],
};

describe('registry wire format with generated models', () => {
  it('decodes an older writer into the generated class, with defaults, promotions and logical types', async () => {
    const registry = new MemoryRegistry();
    await registry.setCompatibility('NONE');
    const wire = registryWireFormat(registry);
    const writer = await wire.prepare('clicks', 'value', codecs.avroSchema<Record<string, unknown>>(olderClick));
    const reader = await wire.prepare('clicks', 'value', codecs.model(Click));
    const bytes = writer.encode({ url: '/a', userId: 'u1', sessionId: '9b2c5a4e-4c1d-4f5e-8a8b-0c6b1f9a7d21', timestamp: 1_700_000, legacyScore: 0.5 });

    const click = await reader.decode(bytes);
    expect(click).toBeInstanceOf(Click);
    expect(click.timestamp).toBeInstanceOf(Date);
    expect(click.timestamp.getTime()).toBe(1_700_000);
    expect(click).toMatchObject({ url: '/a', userId: 'u1', referrer: null, device: 'DESKTOP', durationMs: 0 });
    expect('legacyScore' in click).toBe(false);
  });

  it("registers the generated model's own schema, and reads its own bytes synchronously", async () => {
    const registry = new MemoryRegistry();
    const reader = await registryWireFormat(registry).prepare('clicks', 'value', codecs.model(Click));
    expect((await registry.getLatest('clicks-value')).schema).toEqual(Click.schema);
    const click = new Click({ url: '/b', userId: 'u2', sessionId: '9b2c5a4e-4c1d-4f5e-8a8b-0c6b1f9a7d21', timestamp: new Date(5) });
    const decoded = reader.decode(reader.encode(click));
    expect(decoded).toBeInstanceOf(Click);
    expect(decoded).toEqual(click);
    const invalid = new Click({ ...click, durationMs: 'long' as never });
    let codecError = 'no error';
    try {
      codecs.model(Click).encode(invalid);
    } catch (error) {
      codecError = (error as Error).message;
    }
    expect(() => reader.encode(invalid)).toThrow(codecError);
  });
});
