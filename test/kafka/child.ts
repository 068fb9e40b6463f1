/** Worker child processes of the Kafka suite: started with tsx, their stdout read line by line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every line printed so far. */
  readonly lines: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Waits for a line matching `match` (printed before or after the call). */
  line(match: (line: string) => boolean, what: string, ms?: number): Promise<string>;
}

export function startWorker(script: string, args: readonly string[], started: ChildProcess[]): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) (w.match(line) ? () => w.resolve(line) : () => waiters.push(w))();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (match: (l: string) => boolean, what: string, ms = 90_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen !== undefined) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`worker never printed ${what}; it printed: ${lines.slice(-5).join(' | ')}`)), ms);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then((code) => reject(new Error(`worker exited (${code}) before printing ${what}`)));
    });
  return { child, lines, exited, line };
}

/** The count of the last `processed <n>` line. */
export function processedCount(lines: readonly string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.startsWith('processed ')) return Number(lines[i]!.slice(10));
  return 0;
}
