import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Click } from '../../generated/com/acme/clicks/Click.js';
import type { AvroSchemaJSON } from '../../src/serde/codec.js';
import { clickStats, clickWriter, confluentFrame, generateClicks, urlOf, type ClickSpec } from '../../bench/lib/clicks.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/com/acme/clicks/Click.avsc', import.meta.url), 'utf8')) as AvroSchemaJSON;
const spec: ClickSpec = { count: 20_000, distinctUrls: 2_000, seed: 11 };

describe('bench click events', () => {
  it('are the same for the same seed and differ for another', () => {
    const first = [...generateClicks(spec)].slice(0, 50);
    expect([...generateClicks(spec)].slice(0, 50)).toEqual(first);
    expect([...generateClicks({ ...spec, seed: 12 })].slice(0, 50)).not.toEqual(first);
  });

  it('visit every url at least once and count every event once', () => {
    const stats = clickStats(spec);
    expect(stats.countsByUrl.size).toBe(spec.distinctUrls);
    for (let i = 0; i < spec.distinctUrls; i++) expect(stats.countsByUrl.get(urlOf(i))).toBeGreaterThanOrEqual(1);
    expect([...stats.countsByUrl.values()].reduce((a, b) => a + b, 0)).toBe(spec.count);
  });

  it('say how many events are not bots and what their durations add up to', () => {
    const clicks = [...generateClicks(spec)];
    const humans = clicks.filter((c) => c.device !== 'BOT');
    const stats = clickStats(spec);
    expect(stats.kept).toBe(humans.length);
    expect(stats.keptDurationMs).toBe(humans.reduce((sum, c) => sum + c.durationMs, 0));
    // about one in ten is a bot (fixed seed: this is exact for the run, not a flaky bound)
    expect(stats.kept / spec.count).toBeGreaterThan(0.85);
    expect(stats.kept / spec.count).toBeLessThan(0.95);
  });

  it('are written as Confluent-framed Avro that the generated Click model reads back', () => {
    const write = clickWriter(schema);
    const click = [...generateClicks({ count: 3, distinctUrls: 3 })][2]!;
    const framed = confluentFrame(42, write(click));
    expect(framed[0]).toBe(0);
    expect(framed.readUInt32BE(1)).toBe(42);
    const decoded = Click.decode(framed.subarray(5));
    expect(decoded).toBeInstanceOf(Click);
    expect(decoded.url).toBe(click.url);
    expect(decoded.device).toBe(click.device);
    expect(decoded.durationMs).toBe(click.durationMs);
    expect(decoded.referrer).toBe(click.referrer);
    expect(decoded.timestamp.getTime()).toBe(click.timestamp);
  });
});
