/**
 * Opening a transport from a broker URL. `memory://[name]` is built in; other schemes are
 * registered by their drivers (`registerTransport('kafka', factory)`), and `kafka://` is loaded
 * on first use from `./kafka/index.js`, which must export `createKafkaTransport: TransportFactory`.
 */
import { ConfigError } from '../errors.js';
import { MemoryTransport } from './memory/index.js';
import type { Transport, TransportFactory, TransportOptions } from './types.js';

export type * from './types.js';
export { MemoryBroker, MemoryTransport } from './memory/index.js';
export { murmur2, partitionForKey } from './partitioner.js';
export { RecordBuffer, type RecordEncoder } from './record-buffer.js';

const factories = new Map<string, TransportFactory>([['memory', (url, options) => new MemoryTransport(url, undefined, options?.logger)]]);

/** Makes `url`'s scheme open through `factory` (a driver calls this once, on import). */
export function registerTransport(scheme: string, factory: TransportFactory): void {
  factories.set(scheme, factory);
}

/** Where a scheme's driver lives when it is not registered yet (loaded lazily, so that an app on
 * `memory://` never loads a Kafka client). Held in a variable so that the compiler does not
 * require the module to exist while its driver is being written. */
const lazyDrivers: Record<string, { module: string; export: string }> = {
  kafka: { module: './kafka/index.js', export: 'createKafkaTransport' },
};

export async function openTransport(url: string, options: TransportOptions = {}): Promise<Transport> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new ConfigError('broker', `${JSON.stringify(url)} is not a broker URL; use memory:// or kafka://host:port[,host:port...]`);
  }
  let factory = factories.get(scheme);
  if (factory === undefined && lazyDrivers[scheme] !== undefined) {
    const { module, export: name } = lazyDrivers[scheme];
    const loaded = (await import(module)) as Record<string, unknown>;
    if (typeof loaded[name] !== 'function') {
      throw new ConfigError('broker', `the ${scheme}:// driver (${module}) does not export ${name}`);
    }
    factory = loaded[name] as TransportFactory;
    factories.set(scheme, factory);
  }
  if (factory === undefined) {
    throw new ConfigError('broker', `no transport driver for ${scheme}:// (known: ${[...factories.keys(), ...Object.keys(lazyDrivers)].join(', ')})`);
  }
  return factory(url, options);
}
