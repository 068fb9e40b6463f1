import type { Command } from 'commander';
import { runWorker } from '../app/worker.js';
import { loadAppModule } from './app-module.js';

/**
 * `mephisto worker <module>`: loads an app module (TypeScript or JavaScript; bin/mephisto.js
 * registers tsx), finds its App, and runs it until SIGINT/SIGTERM with a graceful shutdown.
 *
 * Exit codes: 0 stopped cleanly, 1 the app failed (start error, or a crash under policy `crash`),
 * 2 the module could not be loaded or holds no App.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run an app module as a worker until SIGINT/SIGTERM (graceful shutdown commits in-flight work)')
    .argument('<module>', 'file that exports an App (default export, `app`, or the only App it exports)')
    .option('--app <name>', 'name of the export holding the App, when the module exports several')
    .action(async (module: string, flags: { app?: string }) => {
      process.exitCode = await runWorkerCommand(module, flags);
    });
}

export async function runWorkerCommand(module: string, flags: { app?: string } = {}): Promise<number> {
  const app = await loadAppModule(module, flags.app);
  if (typeof app === 'string') {
    console.error(`mephisto worker: ${app}`);
    return 2;
  }
  return runWorker(app);
}
