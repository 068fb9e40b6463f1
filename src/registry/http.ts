import { SchemaRegistry as ConfluentClient } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { ConfigError, RegistryError, SchemaIncompatibleError } from '../errors.js';
import type { AvroSchemaJSON } from '../serde/codec.js';
import { checkCompatibilityLevel, isCompatibilityLevel } from './compatibility.js';
import { inlineReferences, parseAvro, parseSchemaText, schemaText } from './schema.js';
import type {
  CompatibilityLevel,
  CompatibilityResult,
  RegisteredSchema,
  SchemaReference,
  SchemaRegistry,
} from './types.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface HttpRegistryOptions {
  /** Basic auth; overrides credentials in the URL (`https://user:pass@host`). */
  readonly auth?: RegistryCredentials;
  /** Per-request timeout in milliseconds (default 10 s). */
  readonly timeoutMs?: number;
  /** Retries of a request that found no registry or a 502/503/504 (default 2). */
  readonly retries?: number;
  /** Client id sent by the Confluent client (default `mephisto`). */
  readonly clientId?: string;
}

interface ErrorBody {
  readonly error_code?: number;
  readonly message?: string;
}

interface VersionBody {
  readonly subject?: string;
  readonly id: number;
  readonly version: number;
  readonly schema: string;
  readonly schemaType?: string;
  readonly references?: readonly SchemaReference[];
}

/**
 * A Confluent REST schema registry (Confluent Schema Registry, Apicurio's `/apis/ccompat/v7`).
 * `getWriterType` goes through `@kafkajs/confluent-schema-registry` (it resolves references,
 * caches types by id and shares in-flight requests; the wire format does not use it, see
 * `SchemaRegistry.getWriterType`). The rest is plain REST
 * over `fetch`, where the client does not fit: its `register` insists on a compatibility config of
 * its own, it has no lookups, listings or compatibility calls, and its schemas come back as avsc
 * types, which drop docs, enum defaults and logical-type attributes (so `getById` reads the JSON).
 *
 * Credentials are taken out of the URL at once and only ever travel in the Authorization header:
 * `url`, messages and errors show the registry without them.
 */
export class HttpRegistry implements SchemaRegistry {
  /** The registry's URL without credentials: safe to log. */
  readonly url: string;
  private readonly base: string;
  // ES private fields: util.inspect, console.log and JSON.stringify of the registry never show them.
  readonly #authorization: string | undefined;
  readonly #secrets: readonly string[];
  readonly #client: ConfluentClient;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly clientId: string;

  constructor(url: string, options: HttpRegistryOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('registry', `not a URL: ${redactUrlText(url)}; use memory://, http://host:port[/path] or https://user:pass@host`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError('registry', `unsupported scheme ${parsed.protocol} in ${redactUrlText(url)}; use memory://, http:// or https://`);
    }
    const auth = options.auth ?? (parsed.username || parsed.password
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined);
    parsed.username = '';
    parsed.password = '';
    this.base = parsed.toString().replace(/\/+$/, '');
    this.url = this.base;
    this.#authorization = auth && `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    this.#secrets = auth
      ? [auth.password, encodeURIComponent(auth.password), this.#authorization!.slice('Basic '.length)].filter((s) => s.length >= 3)
      : [];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.clientId = options.clientId ?? 'mephisto';
    this.#client = new ConfluentClient({
      host: this.base,
      clientId: this.clientId,
      retry: { retries: options.retries ?? 2 },
      ...(auth ? { auth: { username: auth.username, password: auth.password } } : {}),
    });
  }

  async register(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[] = []): Promise<RegisteredSchema> {
    const known = await this.lookup(subject, schema, references);
    if (known) return known;
    try {
      await this.request<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, this.schemaBody(schema, references));
    } catch (error) {
      if (error instanceof RegistryError && error.status === 409) {
        const check = await this.checkCompatibility(subject, schema, references);
        throw new SchemaIncompatibleError(subject, check.messages.length ? check.messages : [error.message]);
      }
      throw error;
    }
    const registered = await this.lookup(subject, schema, references);
    if (!registered) {
      throw new RegistryError(`${this.url} accepted the schema for subject ${subject} but does not find it there afterwards`, { url: this.url });
    }
    return registered;
  }

  async lookup(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[] = []): Promise<RegisteredSchema | undefined> {
    try {
      const body = await this.request<VersionBody>('POST', `/subjects/${enc(subject)}`, this.schemaBody(schema, references));
      return this.toRegistered(subject, body);
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) return undefined;
      throw error;
    }
  }

  async getById(id: number): Promise<AvroSchemaJSON> {
    let body: { schema: string; references?: readonly SchemaReference[] };
    try {
      body = await this.request('GET', `/schemas/ids/${id}`);
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) {
        throw new RegistryError(`Schema id ${id} is not registered in ${this.url}`, { url: error.url, status: 404, errorCode: error.errorCode ?? 40403 });
      }
      throw error;
    }
    const schema = parseSchemaText(body.schema);
    const references = body.references ?? [];
    return references.length ? inlineReferences(schema, await this.referencedSchemas(references, new Set())) : schema;
  }

  /** Through `@kafkajs/confluent-schema-registry`: it resolves references, caches types by id and shares in-flight requests. */
  async getWriterType(id: number): Promise<Type> {
    try {
      return (await this.#client.getSchema(id)) as unknown as Type;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const where = `${this.url}/schemas/ids/${id}`;
      if (status === 404) {
        throw new RegistryError(`Schema id ${id} is not registered in ${this.url}`, { url: where, status, errorCode: 40403 });
      }
      // The client's error is rebuilt rather than chained: its request object carries the headers.
      const message = this.redact(String((error as Error)?.message ?? error)).replace(`${this.clientId} - `, '');
      throw new RegistryError(
        typeof status === 'number'
          ? `Schema registry GET ${where} answered ${status}: ${message}`
          : `Cannot fetch schema id ${id} from ${this.url}: ${message}; is the registry running, and is the URL right?`,
        { url: where, status: typeof status === 'number' ? status : undefined },
      );
    }
  }

  async getLatest(subject: string): Promise<RegisteredSchema> {
    return this.toRegistered(subject, await this.request<VersionBody>('GET', `/subjects/${enc(subject)}/versions/latest`));
  }

  async getVersion(subject: string, version: number): Promise<RegisteredSchema> {
    return this.toRegistered(subject, await this.request<VersionBody>('GET', `/subjects/${enc(subject)}/versions/${version}`));
  }

  async listSubjects(): Promise<readonly string[]> {
    return [...(await this.request<string[]>('GET', '/subjects'))].sort();
  }

  async listVersions(subject: string): Promise<readonly number[]> {
    return [...(await this.request<number[]>('GET', `/subjects/${enc(subject)}/versions`))].sort((a, b) => a - b);
  }

  async checkCompatibility(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[] = []): Promise<CompatibilityResult> {
    let answer: { is_compatible: boolean; messages?: readonly string[] };
    try {
      answer = await this.request('POST', `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`, this.schemaBody(schema, references));
    } catch (error) {
      // A subject without versions accepts any schema.
      if (error instanceof RegistryError && error.status === 404 && (error.errorCode === 40401 || error.errorCode === 40402 || error.errorCode === undefined)) {
        return { compatible: true, messages: [] };
      }
      throw error;
    }
    if (answer.is_compatible) return { compatible: true, messages: [] };
    // The registry's verdict stands; our own resolution says, field by field, what breaks.
    const local = await this.explainLocally(subject, schema, references).catch(() => []);
    const server = (answer.messages ?? []).map((m) => this.redact(String(m)));
    return { compatible: false, messages: local.length ? local : server.length ? server : [`the registry at ${this.url} rejects the schema for ${subject}`] };
  }

  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    if (subject !== undefined) {
      try {
        const body = await this.request<{ compatibilityLevel?: string; compatibility?: string }>('GET', `/config/${enc(subject)}?defaultToGlobal=true`);
        return this.level(body.compatibilityLevel ?? body.compatibility);
      } catch (error) {
        if (!(error instanceof RegistryError && error.status === 404)) throw error;
      }
    }
    const body = await this.request<{ compatibilityLevel?: string; compatibility?: string }>('GET', '/config');
    return this.level(body.compatibilityLevel ?? body.compatibility);
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    if (!isCompatibilityLevel(level)) {
      throw new ConfigError('compatibility', `unknown level ${JSON.stringify(level)}; use NONE, BACKWARD, FORWARD, FULL or a _TRANSITIVE variant`);
    }
    try {
      await this.request('PUT', subject === undefined ? '/config' : `/config/${enc(subject)}`, { compatibility: level });
    } catch (error) {
      if (subject !== undefined && error instanceof RegistryError && error.status === 404) {
        // Apicurio keeps a subject's config on its artifact, which exists once a version does.
        throw new RegistryError(
          `Cannot set the compatibility of subject ${subject} at ${this.url}: the registry does not know the subject yet (Apicurio needs a registered version first); register a schema under it, then set its level`,
          { url: error.url, status: 404, errorCode: error.errorCode },
        );
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    // fetch keeps no connection state of ours; the Confluent client's cache goes with this object.
  }

  private async explainLocally(subject: string, schema: AvroSchemaJSON, references: readonly SchemaReference[]): Promise<string[]> {
    const level = await this.getCompatibility(subject);
    const candidate = parseAvro(schema, await this.referencedSchemas(references, new Set()));
    const numbers = level.endsWith('_TRANSITIVE') ? await this.listVersions(subject) : [(await this.getLatest(subject)).version];
    const versions = [];
    for (const version of numbers) {
      const registered = await this.getVersion(subject, version);
      versions.push({ version, type: parseAvro(registered.schema, await this.referencedSchemas(registered.references, new Set())) });
    }
    return [...checkCompatibilityLevel(level, candidate, versions).messages];
  }

  /** The schemas references point at, dependencies first, each once. */
  async referencedSchemas(references: readonly SchemaReference[], seen: Set<string>): Promise<AvroSchemaJSON[]> {
    const out: AvroSchemaJSON[] = [];
    for (const reference of references) {
      const key = `${reference.subject}\u0000${reference.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const registered = await this.getVersion(reference.subject, reference.version);
      out.push(...(await this.referencedSchemas(registered.references, seen)), registered.schema);
    }
    return out;
  }

  private level(value: string | undefined): CompatibilityLevel {
    const upper = value?.toUpperCase();
    if (!isCompatibilityLevel(upper)) {
      throw new RegistryError(`${this.url} answered an unknown compatibility level ${JSON.stringify(value)}`, { url: `${this.url}/config` });
    }
    return upper;
  }

  private schemaBody(schema: AvroSchemaJSON, references: readonly SchemaReference[]): object {
    return references.length ? { schema: schemaText(schema), references } : { schema: schemaText(schema) };
  }

  private toRegistered(subject: string, body: VersionBody): RegisteredSchema {
    return {
      id: body.id,
      subject: body.subject ?? subject,
      version: body.version,
      schema: parseSchemaText(body.schema),
      references: body.references ?? [],
    };
  }

  private async request<T>(method: string, path: string, body?: object): Promise<T> {
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (body !== undefined) headers['content-type'] = 'application/vnd.schemaregistry.v1+json';
    if (this.#authorization) headers.authorization = this.#authorization;
    // Every call is safe to repeat (registering an identical schema is idempotent), so transient
    // failures (no connection, 502/503/504) are retried a few times with backoff.
    let response: Response | undefined;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        if (!last) {
          await delay(100 * 2 ** attempt);
          continue;
        }
        const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
        const detail = this.redact(String(cause?.code ?? cause?.message ?? (error as Error).message));
        throw new RegistryError(
          `Cannot reach the schema registry at ${this.url} (${method} ${path}, ${attempt + 1} attempts): ${detail}; is it running, and is the URL right?`,
          { url },
        );
      }
      if (last || ![502, 503, 504].includes(response.status)) break;
      await response.body?.cancel();
      await delay(100 * 2 ** attempt);
    }
    const text = await response.text();
    if (!response.ok) {
      let parsed: ErrorBody = {};
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
      const hint = response.status === 401 || response.status === 403 ? ' (check the registry credentials)' : '';
      throw new RegistryError(
        `Schema registry ${method} ${this.url}${path} answered ${response.status}${parsed.error_code ? ` (error ${parsed.error_code})` : ''}: ${this.redact(parsed.message ?? '')}${hint}`,
        { url, status: response.status, errorCode: parsed.error_code },
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }
}

const enc = encodeURIComponent;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A URL's text with any `user:pass@` removed, for messages about URLs we could not parse. */
export function redactUrlText(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}
