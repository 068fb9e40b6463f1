#!/usr/bin/env node
// The published entry point: loads the TypeScript CLI through tsx so that `npx mephisto` works
// straight from a clone, and so that `mephisto worker app.ts` can load users' TypeScript modules.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
