#!/usr/bin/env node
// Runs before `npm start` and `npm test` (their `pre` scripts): on a fresh clone, where nothing is
// installed yet, installs the locked dependencies (`npm ci`) so that the README's quick start is
// two commands. Installed trees are left alone: a tree older than the lockfile gets a warning, not
// a reinstall behind the user's back. Plain Node, no dependencies (it runs before there are any).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lockfile = join(root, 'package-lock.json');

if (!existsSync(installed)) {
  console.error('mephisto: no node_modules yet: installing the locked dependencies (npm ci), once...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`mephisto: npm ci failed (${result.error?.message ?? `exit ${result.status}`}); run it by hand to see why.`);
    process.exit(result.status ?? 1);
  }
} else if (statSync(lockfile).mtimeMs > statSync(installed).mtimeMs + 1000) {
  console.error('mephisto: package-lock.json is newer than node_modules: run `npm install` if dependencies changed.');
}
