import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runWorker(args: string[]): { child: ReturnType<typeof spawn>; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/mephisto.js', 'worker', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

describe('mephisto worker <module>', () => {
  it('runs a TypeScript app until SIGTERM, then finishes in-flight events and commits them', async () => {
    const worker = runWorker(['test/runtime/fixtures/worker-app.ts']);
    await new Promise<void>((resolve, reject) => {
      worker.child.stdout!.on('data', () => {
        if (worker.output().includes('READY')) resolve();
      });
      void worker.exit.then(() => reject(new Error(`worker exited early:\n${worker.output()}`)));
    });
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    const match = /processed=(\d+) committed=(\d+)/.exec(worker.output());
    expect(match, worker.output()).not.toBeNull();
    const processed = Number(match![1]);
    const committed = Number(match![2]);
    expect(processed).toBeGreaterThanOrEqual(20);
    // every processed event is committed: nothing in flight was lost, nothing unprocessed claimed
    expect(committed).toBe(processed);
  });

  it('exits 2 with a clear message for a module without an App', async () => {
    const worker = runWorker(['test/runtime/helpers.ts']);
    expect(await worker.exit).toBe(2);
    expect(worker.output()).toMatch(/exports no App/);
  });
});
