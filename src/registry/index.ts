import { ConfigError } from '../errors.js';
import { HttpRegistry, redactUrlText, type HttpRegistryOptions } from './http.js';
import { MemoryRegistry } from './memory.js';
import type { SchemaRegistry } from './types.js';

export type {
  SchemaRegistry,
  SchemaReference,
  RegisteredSchema,
  CompatibilityLevel,
  CompatibilityResult,
} from './types.js';
export { MemoryRegistry } from './memory.js';
export { HttpRegistry, type HttpRegistryOptions, type RegistryCredentials } from './http.js';
export { registryWireFormat, frame, readSchemaId, MAGIC_BYTE, type RegistryWireFormatOptions } from './wire.js';
export {
  topicNameStrategy,
  recordNameStrategy,
  topicRecordNameStrategy,
  subjectNameStrategy,
  type SubjectNameStrategy,
  type SubjectNameStrategyOption,
} from './strategy.js';
export { explainIncompatibility, checkCompatibilityLevel, canRead } from './compatibility.js';

export type OpenRegistryOptions = HttpRegistryOptions;

const namedMemoryRegistries = new Map<string, MemoryRegistry>();

/**
 * A schema registry from a URL, or the registry itself when given one.
 *
 * - `memory://` is a new embedded registry; `memory://NAME` is the one registry of that name in
 *   this process (so an app and a test can share it by name).
 * - `http://host:port[/path]` and `https://[user:pass@]host[/path]` speak Confluent's REST API
 *   (also Apicurio's `/apis/ccompat/v7`); basic-auth credentials may come in the URL or in
 *   `options.auth`, and never appear in logs or errors.
 */
export function openRegistry(url: string | SchemaRegistry, options: OpenRegistryOptions = {}): SchemaRegistry {
  if (typeof url !== 'string') return url;
  if (url.startsWith('memory://')) {
    const name = url.slice('memory://'.length).replace(/\/+$/, '');
    if (name === '') return new MemoryRegistry();
    let registry = namedMemoryRegistries.get(name);
    if (!registry) {
      registry = new MemoryRegistry(url);
      namedMemoryRegistries.set(name, registry);
    }
    return registry;
  }
  if (url.startsWith('http://') || url.startsWith('https://')) return new HttpRegistry(url, options);
  throw new ConfigError('registry', `unsupported registry URL ${redactUrlText(url)}; use memory://[name], http://host:port[/path] or https://[user:pass@]host[/path]`);
}

export { registryAuthFromEnv } from './credentials.js';
