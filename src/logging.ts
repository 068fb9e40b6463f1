/**
 * A small, pluggable logger. The runtime logs through `Logger` only; pass your own (pino, winston,
 * anything with these four methods) as the App's `logger` setting. The default writes one line per
 * message to stderr at `info` and above (`MEPHISTO_LOG_LEVEL` or the `logLevel` setting changes it;
 * `silent` turns it off, which the test driver does).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(rank, value);
}

function format(fields: Readonly<Record<string, unknown>> | undefined): string {
  if (fields === undefined) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const text = value instanceof Error ? value.message : typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${name}=${text}`);
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
}

/** Writes `LEVEL [name] message k=v ...` lines to a sink (stderr by default). */
export function consoleLogger(
  name: string,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const min = rank[level];
  const at = (l: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    if (rank[l] >= min) write(`${l.toUpperCase().padEnd(5)} [${name}] ${message}${format(fields)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

/** Keeps every message in memory; for tests that assert what was logged. */
export interface MemoryLogger extends Logger {
  readonly entries: { level: Exclude<LogLevel, 'silent'>; message: string; fields: Readonly<Record<string, unknown>> | undefined }[];
}

export function memoryLogger(): MemoryLogger {
  const entries: MemoryLogger['entries'] = [];
  const at = (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    entries.push({ level, message, fields });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
