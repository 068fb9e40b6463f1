import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppComponent, AppInternals } from '../app/hooks.js';
import { tablesOf } from './registry.js';
import type { Table } from './table.js';

/**
 * The tables' HTTP view on a worker's web port:
 *
 * - `GET /tables`: every table with its changelog, partition count and keys per partition held;
 * - `GET /tables/<name>/<key>`: the key's value as JSON (404 when absent); for a windowed table,
 *   `{ key, windows: [{ start, end, value }] }`.
 *
 * A key is the URL-decoded path segment; for tables whose keys are not strings it is parsed as
 * JSON (`/tables/by-id/42`).
 */
export interface TablesServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** A key from its (decoded) path segment: as is for string keys, else JSON when it parses. */
function parseKey(table: Table<unknown, unknown, unknown>, text: string): unknown {
  if (table.state.settings.key.name === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function describeTables(internals: AppInternals): unknown[] {
  return tablesOf(internals).map((table) => ({
    name: table.name,
    changelog: table.changelogTopic,
    partitions: table.partitions ?? null,
    global: table.isGlobal,
    windowed: table.windows === undefined ? null : table.windows.spec,
    help: table.help ?? null,
    held: table.state.heldPartitions().length === 0 && !internals.running ? [] : table.stats(),
  }));
}

function handle(internals: AppInternals, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0]!;
  let parts: string[];
  try {
    parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  } catch {
    // a bad request must not reach the listener's caller: an exception there ends the worker
    reply(response, 400, { error: `malformed percent-encoding in the path ${JSON.stringify(path)}` });
    return;
  }
  if (request.method !== 'GET' || parts[0] !== 'tables' || parts.length > 3) {
    reply(response, 404, { error: `no such resource: ${request.method} ${path}; try GET /tables or GET /tables/<name>/<key>` });
    return;
  }
  if (parts.length === 1) {
    reply(response, 200, describeTables(internals));
    return;
  }
  const table = tablesOf(internals).find((t) => t.name === parts[1]);
  if (table === undefined) {
    reply(response, 404, { error: `no table named ${JSON.stringify(parts[1])}; GET /tables lists them` });
    return;
  }
  if (parts.length === 2) {
    reply(response, 200, { name: table.name, changelog: table.changelogTopic, partitions: table.partitions ?? null, held: table.stats() });
    return;
  }
  const key = parseKey(table, parts[2]!);
  try {
    const windowed = table.windows;
    if (windowed !== undefined) {
      const windows = [...windowed.windows()]
        .filter((w) => toJson(w.key) === toJson(key))
        .map((w) => ({ start: w.window.start, end: w.window.end, value: w.value }))
        .sort((a, b) => a.start - b.start);
      if (windows.length === 0) reply(response, 404, { error: `table ${table.name} holds no window for key ${toJson(key)} on this worker` });
      else reply(response, 200, { key, windows });
      return;
    }
    if (!table.has(key)) {
      reply(response, 404, { error: `table ${table.name} holds no value for key ${toJson(key)} on this worker` });
      return;
    }
    reply(response, 200, table.get(key));
  } catch (error) {
    reply(response, 500, { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Serves the tables of an app on `port` (0 picks a free one). */
export async function serveTables(internals: AppInternals, options: { port: number; host?: string }): Promise<TablesServer> {
  const server: Server = createServer((request, response) => handle(internals, request, response));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/**
 * Starts the HTTP view with the worker when the app has a web port (settings `webPort`, env
 * `MEPHISTO_WEB_PORT`; host `webHost`, `MEPHISTO_WEB_HOST`, default 127.0.0.1). Registered once
 * per app, by its first table.
 */
export class TablesWebView implements AppComponent {
  readonly name = 'tables:web';
  server: TablesServer | undefined;

  constructor(private readonly internals: AppInternals) {}

  async start(): Promise<void> {
    const web = this.internals.web;
    if (web === undefined) return;
    this.server = await serveTables(this.internals, { port: web.port, host: web.host });
    this.internals.logger.info('tables HTTP view listening', { url: `${this.server.url}/tables` });
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
