/**
 * Log compaction of the embedded broker, for topics with `cleanup.policy=compact` (changelogs), as
 * Kafka's log cleaner does it: of each key only the latest record is kept; a tombstone (null value)
 * that is its key's latest record is kept for `delete.retention.ms` (default one day) after the
 * pass that first kept it, then removed too; records keep their offsets, so a compacted log has
 * gaps; records without a key are kept. Without it a table's recovery on memory:// replayed every
 * update ever made.
 *
 * Compaction here is of what readers get: a compacted log's removed records are left out of every
 * read (`liveBatches`, `readLiveForConsumer`), their bytes stay where they lie in the log's storage
 * (records handed out before a pass read their bytes lazily, and must still find them).
 *
 * A pass runs when a reader comes to a compacted log whose uncleaned part (records appended since
 * the last pass) is at least MIN_DIRTY records and `min.cleanable.dirty.ratio` (default 0.5) of
 * what the log holds, or on demand (`MemoryBroker.compact`).
 */
import type { ConsumerRecord, RangeDecoder } from '../types.js';
import type { MemoryTopic, PartitionLog } from './broker.js';

/** Uncleaned records below which no pass runs by itself (a pass reads every record still held). */
export const MIN_DIRTY = 1000;
const DEFAULT_DIRTY_RATIO = 0.5;
const DEFAULT_DELETE_RETENTION_MS = 86_400_000;

export interface CompactionOptions {
  /** The time of the pass, in ms since the epoch (tombstone retention). Default: now. */
  readonly now?: number;
}

/** What one pass over one partition did. */
export interface CompactionReport {
  readonly topic: string;
  readonly partition: number;
  /** Records read: those kept by earlier passes plus those appended since. */
  readonly scanned: number;
  readonly removed: number;
  /** Records the log holds after the pass. */
  readonly kept: number;
}

/** A compacted log's state: below `cleanedEnd`, only `survivors` are held; from it on, everything. */
interface LogCompaction {
  cleanedEnd: number;
  /** Offsets below `cleanedEnd` still held, ascending. */
  survivors: number[];
  /** Tombstones kept by a pass, and when that pass first kept them. */
  readonly tombstoneSince: Map<number, number>;
}

const states = new WeakMap<PartitionLog, LogCompaction>();

const KEY_TEXT: RangeDecoder<string> = { decodeRange: (bytes, start, end) => bytes.toString('latin1', start, end) };
const PRESENT: RangeDecoder<true> = { decodeRange: () => true };

/** Whether a topic's config asks for compaction (`compact` or `compact,delete`). */
export function isCompacted(config: Readonly<Record<string, string>>): boolean {
  const policy = config['cleanup.policy'];
  return policy !== undefined && policy.split(',').some((p) => p.trim() === 'compact');
}

function numberSetting(config: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const value = config[name];
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Runs a pass over one partition of a topic (compacted or not: on demand, the caller decides). */
export function compactLog(topic: MemoryTopic, log: PartitionLog, options: CompactionOptions = {}): CompactionReport {
  const now = options.now ?? Date.now();
  const retention = numberSetting(topic.config, 'delete.retention.ms', DEFAULT_DELETE_RETENTION_MS);
  let state = states.get(log);
  if (state === undefined) states.set(log, (state = { cleanedEnd: 0, survivors: [], tombstoneSince: new Map() }));
  const end = log.end;
  const latest = new Map<string, number>();
  const kept: number[] = [];
  const visit = (offset: number) => {
    const key = log.decodeKeyAt(offset, KEY_TEXT);
    if (key === null) kept.push(offset);
    else latest.set(key, offset);
  };
  for (const offset of state.survivors) visit(offset);
  for (let offset = state.cleanedEnd; offset < end; offset++) visit(offset);
  const scanned = state.survivors.length + (end - state.cleanedEnd);
  const tombstones = new Map<number, number>();
  for (const offset of latest.values()) {
    if (log.decodeValueAt(offset, PRESENT) === null) {
      const since = state.tombstoneSince.get(offset) ?? now;
      if (now - since >= retention) continue;
      tombstones.set(offset, since);
    }
    kept.push(offset);
  }
  kept.sort((a, b) => a - b);
  state.survivors = kept;
  state.cleanedEnd = end;
  state.tombstoneSince.clear();
  for (const [offset, since] of tombstones) state.tombstoneSince.set(offset, since);
  return { topic: log.topic, partition: log.partition, scanned, removed: scanned - kept.length, kept: kept.length };
}

/** Runs a pass when the log is compacted and enough of it is uncleaned (see the module comment). */
export function maybeCompact(topic: MemoryTopic, log: PartitionLog): void {
  if (!isCompacted(topic.config)) return;
  const state = states.get(log);
  const survivors = state?.survivors.length ?? 0;
  const dirty = log.end - (state?.cleanedEnd ?? 0);
  if (dirty < MIN_DIRTY) return;
  if (dirty / (survivors + dirty) < numberSetting(topic.config, 'min.cleanable.dirty.ratio', DEFAULT_DIRTY_RATIO)) return;
  compactLog(topic, log);
}

/** The runs `[from, to)` of offsets still held in `[from, to)`, ascending. */
function liveRuns(state: LogCompaction, from: number, to: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const survivors = state.survivors;
  let low = 0;
  let high = survivors.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (survivors[mid]! < from) low = mid + 1;
    else high = mid;
  }
  const cleanedTo = Math.min(to, state.cleanedEnd);
  for (let i = low; i < survivors.length && survivors[i]! < cleanedTo; i++) {
    const offset = survivors[i]!;
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === offset) last[1] = offset + 1;
    else runs.push([offset, offset + 1]);
  }
  if (to > state.cleanedEnd) {
    const start = Math.max(from, state.cleanedEnd);
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === start) last[1] = to;
    else runs.push([start, to]);
  }
  return runs;
}

/** The records held in `[from, until)`, in batches of at most `size` (PartitionLog.read objects). */
export function* liveBatches(log: PartitionLog, from: number, until: number, size: number): Generator<ConsumerRecord[]> {
  const state = states.get(log);
  if (state === undefined || state.cleanedEnd <= from) {
    for (let at = from; at < until; at += size) yield log.read(at, Math.min(until, at + size));
    return;
  }
  let batch: ConsumerRecord[] = [];
  for (const [start, end] of liveRuns(state, from, until)) {
    for (let at = start; at < end; ) {
      const to = Math.min(end, at + (size - batch.length));
      batch = batch.length === 0 ? log.read(at, to) : batch.concat(log.read(at, to));
      at = to;
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** The records held in `[from, to)` for a consumer (PartitionLog.readForConsumer objects). */
export function readLiveForConsumer(log: PartitionLog, from: number, to: number): ConsumerRecord[] {
  const state = states.get(log);
  if (state === undefined || state.cleanedEnd <= from) return log.readForConsumer(from, to);
  const out: ConsumerRecord[] = [];
  for (const [start, end] of liveRuns(state, from, Math.min(to, log.end))) for (const record of log.readForConsumer(start, end)) out.push(record);
  return out;
}

/** Every record the log holds (what a consumer reading it from the start would get). */
export function liveRecords(log: PartitionLog): ConsumerRecord[] {
  return [...liveBatches(log, 0, log.end, Math.max(1, log.end))].flat();
}
