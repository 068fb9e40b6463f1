/**
 * What the orchestrator (`bench/peers/main.ts`) hands every contender process, through the
 * environment so that the Python (Faust) contender reads the same settings as the Node ones.
 */
export type Workload = 'stateless' | 'count';
export const workloads: readonly Workload[] = ['stateless', 'count'];

export interface ContenderSettings {
  readonly workload: Workload;
  /** App id, consumer group id and prefix of internal topics; fresh for every run. */
  readonly appId: string;
  readonly input: string;
  /** Output topic of the stateless workload. */
  readonly output: string;
  readonly brokers: string;
  readonly registry: string;
  readonly dataDir: string;
  readonly partitions: number;
}

export function settingsToEnv(settings: ContenderSettings): Record<string, string> {
  return {
    PEERS_WORKLOAD: settings.workload,
    PEERS_APP_ID: settings.appId,
    PEERS_INPUT: settings.input,
    PEERS_OUTPUT: settings.output,
    PEERS_BROKERS: settings.brokers,
    PEERS_REGISTRY: settings.registry,
    PEERS_DATA_DIR: settings.dataDir,
    PEERS_PARTITIONS: String(settings.partitions),
  };
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ContenderSettings {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set: contenders are started by bench/peers/main.ts`);
    return value;
  };
  const workload = need('PEERS_WORKLOAD');
  if (workload !== 'stateless' && workload !== 'count') {
    throw new Error(`PEERS_WORKLOAD must be stateless or count, not ${workload}`);
  }
  return {
    workload,
    appId: need('PEERS_APP_ID'),
    input: need('PEERS_INPUT'),
    output: need('PEERS_OUTPUT'),
    brokers: need('PEERS_BROKERS'),
    registry: need('PEERS_REGISTRY'),
    dataDir: need('PEERS_DATA_DIR'),
    partitions: Number(need('PEERS_PARTITIONS')),
  };
}

/** The stateless workload's output value (JSON, no key: what agents yield to a sink), the same from every contender. */
export interface PageVisit {
  readonly url: string;
  readonly userId: string;
  readonly device: string;
  readonly seconds: number;
  /** Epoch millis of the click. */
  readonly timestamp: number;
}

/** Name of the table every contender counts into (Faust names its changelog `<app>-<table>-changelog`). */
export const countTable = 'url-counts';

/**
 * With PEERS_MEMORY_LOG=1 in the environment, a Node contender writes `process.memoryUsage()` to
 * its log every 250 ms (MiB; `peers-memory rss=... heapUsed=... external=... arrayBuffers=...`):
 * what its peak RSS is made of.
 */
export function logMemoryIfAsked(env: NodeJS.ProcessEnv = process.env): void {
  if (env.PEERS_MEMORY_LOG !== '1') return;
  const mib = (n: number) => (n / 1_048_576).toFixed(0);
  const began = Date.now();
  setInterval(() => {
    const m = process.memoryUsage();
    console.log(`peers-memory t=${Date.now() - began} rss=${mib(m.rss)} heapUsed=${mib(m.heapUsed)} heapTotal=${mib(m.heapTotal)} external=${mib(m.external)} arrayBuffers=${mib(m.arrayBuffers)}`);
  }, 250).unref();
}
