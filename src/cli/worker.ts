import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { App } from '../app/app.js';
import { runWorker } from '../app/worker.js';

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
  const path = resolve(module);
  if (!existsSync(path)) {
    console.error(`mephisto worker: ${path} does not exist; pass the path of a module that exports an App`);
    return 2;
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    console.error(`mephisto worker: cannot load ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 2;
  }
  const app = findApp(exports, flags.app);
  if (typeof app === 'string') {
    console.error(`mephisto worker: ${path}: ${app}`);
    return 2;
  }
  return runWorker(app);
}

function findApp(exports: Record<string, unknown>, name: string | undefined): App | string {
  if (name !== undefined) {
    const chosen = exports[name];
    return chosen instanceof App ? chosen : `the export ${JSON.stringify(name)} is not an App`;
  }
  if (exports.default instanceof App) return exports.default;
  if (exports.app instanceof App) return exports.app;
  const apps = Object.entries(exports).filter(([, v]) => v instanceof App);
  if (apps.length === 1) return apps[0]![1] as App;
  if (apps.length === 0) return 'exports no App (export it as default or as `app`)';
  return `exports several Apps (${apps.map(([k]) => k).join(', ')}); choose one with --app <name>`;
}
