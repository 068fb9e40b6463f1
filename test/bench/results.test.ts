import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { row, writeResults, type BenchRow } from '../../bench/results.js';

describe('writeResults', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mephisto-results-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const read = (): BenchRow[] => JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
  const keys = () => read().map((r) => `${r.bench}/${r.case}/${r.metric}=${r.value}`);

  it('replaces every earlier row of the same bench, renamed metrics and dropped cases included', () => {
    writeResults('b', [row('one', 'case a', 'events_per_s', 1, 'events/s'), row('one', 'case b', 'peak_rss', 2, 'MiB')], dir);
    writeResults('b', [row('one', 'case a', 'eventsPerSec', 3, 'events/s')], dir);
    expect(keys()).toEqual(['one/case a/eventsPerSec=3']);
  });

  it("keeps other benches' rows in the same file", () => {
    writeResults('b', [row('one', 'a', 'eventsPerSec', 1, 'events/s'), row('two', 'a', 'eventsPerSec', 2, 'events/s')], dir);
    writeResults('b', [row('one', 'a', 'eventsPerSec', 5, 'events/s')], dir);
    expect(keys()).toEqual(['two/a/eventsPerSec=2', 'one/a/eventsPerSec=5']);
  });

  it('leaves the file as it was for a run without rows', () => {
    writeFileSync(join(dir, 'b.json'), JSON.stringify([row('one', 'a', 'eventsPerSec', 1, 'events/s')]));
    writeResults('b', [], dir);
    expect(keys()).toEqual(['one/a/eventsPerSec=1']);
  });

  it('throws on two rows for the same (bench, case, metric) and writes nothing', () => {
    expect(() => writeResults('b', [row('one', 'a', 'ratio', 1, 'x'), row('one', 'a', 'ratio', 2, 'x')], dir)).toThrow(/two rows for bench 'one', case 'a', metric 'ratio'/);
    expect(() => readFileSync(join(dir, 'b.json'))).toThrow(/ENOENT/);
  });
});
