import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRegistryError, isSchemaIncompatibleError } from '../../src/errors.js';
import { MemoryRegistry } from '../../src/registry/memory.js';
import type { CompatibilityLevel } from '../../src/registry/types.js';

/**
 * Test support: the memory registry behind Confluent's REST API on 127.0.0.1, so the HTTP driver
 * and the CLI can be tested without Java. It records every request (method and path) and can
 * demand basic auth. The real-registry tests (Apicurio) live in `test/kafka/registry*.test.ts`.
 */
export interface ConfluentFacade {
  readonly url: string;
  readonly registry: MemoryRegistry;
  readonly requests: { method: string; path: string; authorization: string | undefined }[];
  /** Answers the next `count` requests with `status` (e.g. 503), as a registry restarting would. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

export async function startConfluentFacade(options: { username?: string; password?: string } = {}): Promise<ConfluentFacade> {
  const registry = new MemoryRegistry('memory://facade');
  const requests: ConfluentFacade['requests'] = [];
  let failures = { count: 0, status: 503 };
  const expected = options.username === undefined
    ? undefined
    : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { error_code: 50001, message: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://facade');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname, authorization: req.headers.authorization });
    if (failures.count > 0) {
      failures.count--;
      return send(res, failures.status, { error_code: failures.status * 100 + 1, message: 'unavailable' });
    }
    if (expected !== undefined && req.headers.authorization !== expected) {
      return send(res, 401, { error_code: 40101, message: 'Unauthorized' });
    }
    const body = await readJson(req);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      // GET /schemas/ids/:id
      if (method === 'GET' && parts[0] === 'schemas' && parts[1] === 'ids' && parts.length === 3) {
        const { schema, references } = await registry.getRegisteredById(Number(parts[2]));
        return send(res, 200, references.length ? { schema: JSON.stringify(schema), references } : { schema: JSON.stringify(schema) });
      }
      if (method === 'GET' && parts.length === 1 && parts[0] === 'subjects') {
        return send(res, 200, await registry.listSubjects());
      }
      if (parts[0] === 'subjects' && parts.length >= 2) {
        const subject = parts[1]!;
        if (method === 'POST' && parts.length === 2) {
          const found = await registry.lookup(subject, JSON.parse(body.schema), body.references ?? []);
          if (!found) {
            const subjects = await registry.listSubjects();
            return send(res, 404, subjects.includes(subject)
              ? { error_code: 40403, message: 'Schema not found' }
              : { error_code: 40401, message: `Subject '${subject}' not found.` });
          }
          return send(res, 200, { ...found, schema: JSON.stringify(found.schema) });
        }
        if (method === 'POST' && parts[2] === 'versions' && parts.length === 3) {
          const registered = await registry.register(subject, JSON.parse(body.schema), body.references ?? []);
          return send(res, 200, { id: registered.id });
        }
        if (method === 'GET' && parts[2] === 'versions' && parts.length === 3) {
          return send(res, 200, await registry.listVersions(subject));
        }
        if (method === 'GET' && parts[2] === 'versions' && parts.length === 4) {
          const found = parts[3] === 'latest'
            ? await registry.getLatest(subject)
            : await registry.getVersion(subject, Number(parts[3]));
          return send(res, 200, { ...found, schema: JSON.stringify(found.schema) });
        }
      }
      if (method === 'POST' && parts[0] === 'compatibility' && parts[1] === 'subjects' && parts.length === 5) {
        const subject = parts[2]!;
        if (!(await registry.listSubjects()).includes(subject)) {
          return send(res, 404, { error_code: 40401, message: `Subject '${subject}' not found.` });
        }
        const result = await registry.checkCompatibility(subject, JSON.parse(body.schema), body.references ?? []);
        return send(res, 200, { is_compatible: result.compatible, messages: result.messages });
      }
      if (parts[0] === 'config' && parts.length <= 2) {
        const subject = parts[1];
        if (method === 'GET') return send(res, 200, { compatibilityLevel: await registry.getCompatibility(subject) });
        if (method === 'PUT') {
          await registry.setCompatibility(body.compatibility as CompatibilityLevel, subject);
          return send(res, 200, { compatibility: body.compatibility });
        }
      }
      return send(res, 404, { error_code: 404, message: `HTTP 404 Not Found: ${method} ${url.pathname}` });
    } catch (error) {
      if (isSchemaIncompatibleError(error)) return send(res, 409, { error_code: 409, message: error.message });
      if (isRegistryError(error)) return send(res, error.status ?? 500, { error_code: error.errorCode, message: error.message });
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    registry,
    requests,
    failNext: (count, status) => {
      failures = { count, status };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  res.end(JSON.stringify(body));
}
