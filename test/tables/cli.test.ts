import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTablesCommand } from '../../src/cli/tables.js';
import { MemoryTransport } from '../../src/transport/memory/index.js';
import { dropBroker, freshBrokerUrl, removeDir, tempDir } from './harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setEnv(name: string, value: string): void {
  const previous = process.env[name];
  process.env[name] = value;
  cleanups.push(() => {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  });
}

describe('mephisto tables <module>', () => {
  it('lists tables with partition counts and sizes, from a running worker and from the store directory', async () => {
    const brokerUrl = freshBrokerUrl();
    const dataDir = tempDir();
    cleanups.push(() => removeDir(dataDir), () => dropBroker(brokerUrl));
    setEnv('MEPHISTO_BROKER', brokerUrl);
    setEnv('MEPHISTO_STORE', `level://${dataDir}`);
    setEnv('MEPHISTO_WEB_PORT', '0');
    const modulePath = join(import.meta.dirname, 'fixtures', 'counter-app.ts');
    const fixture = await import('./fixtures/counter-app.js');
    cleanups.push(() => fixture.app.stop());
    await fixture.app.start();
    await new MemoryTransport(brokerUrl).producer().send(
      'clicks',
      ['/a', '/b', '/a', '/c', '/d'].map((url) => ({ key: Buffer.from(url), value: Buffer.from(url), timestamp: 1_000 })),
    );
    for (let i = 0; i < 500 && fixture.seen < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));

    const lines: string[] = [];
    expect(await runTablesCommand(modulePath, {}, (line) => lines.push(line))).toBe(0);
    expect(lines[0]).toMatch(/^TABLE\s+KIND\s+CHANGELOG\s+PARTITIONS\s+KEYS\s+STORE$/);
    expect(lines[1]).toMatch(/^counts\s+table\s+cli-counter-counts-changelog\s+2\s+\? \(a running worker holds the store: use --url\)/);

    const view = fixture.app.internals.components.find((c) => c.name === 'tables:web') as unknown as { server: { url: string } };
    const live: string[] = [];
    expect(await runTablesCommand(modulePath, { url: view.server.url, json: true }, (line) => live.push(line))).toBe(0);
    const listed = JSON.parse(live.join('\n')) as Array<{ name: string; kind: string; partitions: number; sizes: Array<{ keys: number }> }>;
    expect(listed.map((t) => [t.name, t.kind, t.partitions, t.sizes.reduce((s, p) => s + p.keys, 0)])).toEqual([
      ['counts', 'table', 2, 4],
      ['hourly', 'tumbling', 2, 4],
    ]);

    const sizes = fixture.counts.stats();
    expect(sizes.length).toBe(2);
    await fixture.app.stop();
    const offline: string[] = [];
    expect(await runTablesCommand(modulePath, {}, (line) => offline.push(line))).toBe(0);
    expect(offline[1]).toMatch(new RegExp(`^counts\\s+table\\s+cli-counter-counts-changelog\\s+2\\s+4 \\[${sizes.map((s) => `${s.partition}:${s.keys}`).join(' ')}\\]`));
    expect(offline[2]).toMatch(/^hourly\s+tumbling\s+cli-counter-hourly-changelog\s+2\s+4 \[/);
  });

  it('fails with exit code 2 on a module without an App, and 1 on an unreachable worker', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    cleanups.push(() => {
      console.error = original;
    });
    expect(await runTablesCommand(join(import.meta.dirname, 'harness.ts'), {}, () => undefined)).toBe(2);
    expect(errors.at(-1)).toMatch(/exports no App/);
    expect(await runTablesCommand(join(import.meta.dirname, 'missing.ts'), {}, () => undefined)).toBe(2);
    expect(errors.at(-1)).toMatch(/does not exist/);
    const modulePath = join(import.meta.dirname, 'fixtures', 'counter-app.ts');
    expect(await runTablesCommand(modulePath, { url: 'http://127.0.0.1:1' }, () => undefined)).toBe(1);
    expect(errors.at(-1)).toMatch(/cannot reach the worker at http:\/\/127.0.0.1:1\/tables/);
  });
});
