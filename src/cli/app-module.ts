import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from '../app/app.js';

/**
 * Loads a user's app module (TypeScript or JavaScript; bin/mephisto.js registers tsx) and finds its
 * App: the export named by `--app`, else the default export, else `app`, else the only App exported.
 * Returns the App, or a message for the user saying what is wrong and what to do.
 */
export async function loadAppModule(module: string, exportName: string | undefined): Promise<App | string> {
  const path = resolve(module);
  if (!existsSync(path)) return `${path} does not exist; pass the path of a module that exports an App`;
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    return `cannot load ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  const app = findApp(exports, exportName);
  return typeof app === 'string' ? `${path}: ${app}` : app;
}

function findApp(exports: Record<string, unknown>, name: string | undefined): App | string {
  if (name !== undefined) {
    const chosen = exports[name];
    return chosen instanceof App ? chosen : `the export ${JSON.stringify(name)} is not an App`;
  }
  if (exports.default instanceof App) return exports.default;
  if (exports.app instanceof App) return exports.app;
  const apps = Object.entries(exports).filter(([, value]) => value instanceof App);
  if (apps.length === 1) return apps[0]![1] as App;
  if (apps.length === 0) return 'exports no App (export it as default or as `app`)';
  return `exports several Apps (${apps.map(([key]) => key).join(', ')}); choose one with --app <name>`;
}
