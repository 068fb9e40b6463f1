import type { Command } from 'commander';
import type { App } from '../app/app.js';
import { isStoreLockedError } from '../errors.js';
import { createStore } from '../store/index.js';
import { tablesOf } from '../tables/index.js';
import { loadAppModule } from './app-module.js';

/**
 * `mephisto tables <module>`: the tables an app module declares, with their changelog topics,
 * partition counts and sizes. Sizes come from a running worker's HTTP view (`--url`), or else
 * from the store directory itself (level stores, when no worker holds them).
 *
 * Exit codes: 0 listed, 2 the module could not be loaded or holds no App, 1 the worker at --url
 * could not be asked.
 */
export function registerTablesCommand(program: Command): void {
  program
    .command('tables')
    .description("List an app's tables: changelog topics, partition counts and sizes")
    .argument('<module>', 'file that exports an App (default export, `app`, or the only App it exports)')
    .option('--app <name>', 'name of the export holding the App, when the module exports several')
    .option('--url <url>', "a running worker's web address (MEPHISTO_WEB_PORT), e.g. http://127.0.0.1:6066")
    .option('--json', 'print JSON instead of a table')
    .action(async (module: string, flags: TablesFlags) => {
      process.exitCode = await runTablesCommand(module, flags);
    });
}

export interface TablesFlags {
  readonly app?: string;
  readonly url?: string;
  readonly json?: boolean;
}

export interface TableListing {
  readonly name: string;
  readonly changelog: string;
  readonly partitions: number | null;
  readonly store: string;
  readonly kind: string;
  /** Keys per partition, when known. */
  readonly sizes: ReadonlyArray<{ partition: number; keys: number }> | null;
  /** Why sizes are unknown. */
  readonly note: string | null;
}

export async function runTablesCommand(
  module: string,
  flags: TablesFlags = {},
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const app = await loadAppModule(module, flags.app);
  if (typeof app === 'string') {
    console.error(`mephisto tables: ${app}`);
    return 2;
  }
  let listings: TableListing[];
  try {
    listings = flags.url === undefined ? await fromStores(app) : await fromWorker(app, flags.url);
  } catch (error) {
    console.error(`mephisto tables: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  if (flags.json === true) {
    print(JSON.stringify(listings, null, 2));
    return 0;
  }
  if (listings.length === 0) {
    print(`${app.id} declares no tables`);
    return 0;
  }
  const rows = [
    ['TABLE', 'KIND', 'CHANGELOG', 'PARTITIONS', 'KEYS', 'STORE'],
    ...listings.map((t) => [
      t.name,
      t.kind,
      t.changelog,
      t.partitions === null ? '?' : String(t.partitions),
      t.sizes === null
        ? `? (${t.note ?? 'unknown'})`
        : `${t.sizes.reduce((sum, s) => sum + s.keys, 0)} [${t.sizes.map((s) => `${s.partition}:${s.keys}`).join(' ')}]`,
      t.store,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) print(row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd());
  return 0;
}

function kindOf(table: ReturnType<typeof tablesOf>[number]): string {
  if (table.isGlobal) return 'global';
  const spec = table.windows?.spec;
  return spec === undefined ? 'table' : spec.kind;
}

async function fromStores(app: App): Promise<TableListing[]> {
  const listings: TableListing[] = [];
  for (const table of tablesOf(app.internals)) {
    const state = table.state;
    const base = { name: table.name, changelog: table.changelogTopic, store: state.storeUrl, kind: kindOf(table) };
    if (!state.storeUrl.startsWith('level://')) {
      listings.push({ ...base, partitions: table.partitions ?? null, sizes: null, note: 'memory store: ask a running worker with --url' });
      continue;
    }
    const store = createStore(state.storeUrl, { table: table.name, key: state.keyCodec, value: state.valueCodec });
    try {
      await store.open();
    } catch (error) {
      if (!isStoreLockedError(error)) throw error;
      listings.push({ ...base, partitions: table.partitions ?? null, sizes: null, note: 'a running worker holds the store: use --url' });
      continue;
    }
    try {
      const stored = await store.inspect();
      listings.push({
        ...base,
        partitions: table.partitions ?? (stored.length === 0 ? null : Math.max(...stored.map((s) => s.partition)) + 1),
        sizes: stored.map(({ partition, keys }) => ({ partition, keys })),
        note: null,
      });
    } finally {
      await store.abandon();
    }
  }
  return listings;
}

async function fromWorker(app: App, url: string): Promise<TableListing[]> {
  const endpoint = `${url.replace(/\/+$/, '')}/tables`;
  let response: Response;
  try {
    response = await fetch(endpoint);
  } catch (error) {
    throw new Error(`cannot reach the worker at ${endpoint} (${error instanceof Error ? error.message : String(error)}); is it running with MEPHISTO_WEB_PORT set?`);
  }
  if (!response.ok) throw new Error(`the worker at ${endpoint} answered ${response.status}`);
  const described = (await response.json()) as Array<{ name: string; changelog: string; partitions: number | null; held: Array<{ partition: number; keys: number }> }>;
  return tablesOf(app.internals).map((table) => {
    const live = described.find((d) => d.name === table.name);
    return {
      name: table.name,
      changelog: table.changelogTopic,
      partitions: live?.partitions ?? table.partitions ?? null,
      store: table.state.storeUrl,
      kind: kindOf(table),
      sizes: live === undefined ? null : live.held,
      note: live === undefined ? 'the worker does not declare this table' : null,
    };
  });
}
