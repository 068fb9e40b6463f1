import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the clickstream demo (npm start)', () => {
  it('runs on the embedded broker and schema registry and prints a summary, exiting 0', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/clickstream/main.ts'], {
      cwd: root,
      env: { ...process.env, DEMO_CLICKS: '5000', MEPHISTO_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('mephisto clickstream demo (embedded broker and schema registry, generated Avro models)');
    // every value went through the embedded registry: its schemas were registered under TopicNameStrategy subjects
    expect(run.stdout).toMatch(/value schemas in the registry\s+4 \(clicks-value, order-summaries-value, orders-value, page-views-value\); values in the Confluent wire format/);
    expect(run.stdout).toMatch(/events produced and processed\s+5,\d{3} \(5,000 clicks, \d+ orders\)/);
    expect(run.stdout).toContain('Top 5 pages by views');
    expect(run.stdout).toMatch(/1\. https:\/\/shop\.example\/\s+[\d,]+ views/);
    expect(run.stdout).toContain('Top 5 customers by spend');

    // The per-record figures follow from the event counts: 2 agents read each click, the
    // repartition each human click again; sent are the events, the repartition, the outputs.
    const figure = (label: string) => Number(new RegExp(`${label}\\s+([\\d,]+)`).exec(run.stdout)?.[1]?.replace(/,/g, ''));
    const orders = figure('events produced and processed') - 5000;
    const humans = 5000 - figure('bot clicks filtered out');
    expect(figure('page-view updates sent')).toBe(humans);
    expect(figure('records consumed by agents')).toBe(2 * 5000 + humans + orders);
    expect(figure('records sent to topics')).toBe(5000 + orders + 2 * humans + figure('order summaries sent'));
    expect(run.stdout).toMatch(/CPU time in that window\s+\d+\.\d\d s, all threads/);
  });
});
