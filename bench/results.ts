import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured figure, in the format every file in `bench/results/` holds. */
export interface BenchRow {
  readonly bench: string;
  readonly case: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly date: string;
  readonly node: string;
}

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

export function row(bench: string, caseName: string, metric: string, value: number, unit: string): BenchRow {
  return { bench, case: caseName, metric, value, unit, date: new Date().toISOString(), node: process.version };
}

/**
 * Writes `bench/results/<file>.json` (or `<dir>/<file>.json`). A run's rows are its bench's current figures: they replace
 * every earlier row of the same `bench` name in that file (whatever their case or metric, so a
 * renamed metric or a dropped case leaves no stale row behind), and rows of other benches in the
 * file stay. A bench that measured only part of its cases should not write, or its other cases'
 * rows are gone. An empty `rows` (a run that measured nothing) leaves the file as it was. Rows
 * are `(bench, case, metric)`-unique: a duplicate is a bug in the bench and throws before anything
 * is written.
 */
export function writeResults(file: string, rows: readonly BenchRow[], dir: string = resultsDir): string {
  const path = join(dir, `${file}.json`);
  if (rows.length === 0) return path;
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.bench}\u0000${r.case}\u0000${r.metric}`;
    if (seen.has(key)) throw new Error(`writeResults('${file}'): two rows for bench '${r.bench}', case '${r.case}', metric '${r.metric}'; give each figure its own case or metric`);
    seen.add(key);
  }
  mkdirSync(dir, { recursive: true });
  const previous: BenchRow[] = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : [];
  const benches = new Set(rows.map((r) => r.bench));
  const kept = previous.filter((r) => !benches.has(r.bench));
  writeFileSync(path, `${JSON.stringify([...kept, ...rows], null, 2)}\n`);
  return path;
}

/** Peak resident set size of this process so far, in MiB (Linux `VmHWM`). */
export function peakRssMB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall back to the current RSS
  }
  return process.memoryUsage().rss / 1024 / 1024;
}
