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
 * Writes `bench/results/<file>.json`, replacing the rows of the same bench and case (so one run
 * of a bench replaces its previous figures and leaves other benches' rows alone).
 */
export function writeResults(file: string, rows: readonly BenchRow[]): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${file}.json`);
  const previous: BenchRow[] = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : [];
  const replaced = new Set(rows.map((r) => `${r.bench}\u0000${r.case}\u0000${r.metric}`));
  const kept = previous.filter((r) => !replaced.has(`${r.bench}\u0000${r.case}\u0000${r.metric}`));
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
