import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Level } from 'level';
import { StoreLockedError } from '../errors.js';
import { CachedStore, partitionPrefix, type LoadedPartition, type PartitionBatch } from './cache.js';
import type { PartitionCheckpoint, StoredPartition, StoreOptions } from './types.js';

const DATA = 0x64; // 'd' + partition + key bytes -> value bytes
const CHECKPOINT = 0x63; // 'c' + partition -> JSON checkpoint
const LOAD_CHUNK = 10_000;
/** LevelDB's memtable: 64 MiB instead of 4, so that a commit's batch rarely waits on compaction. */
const WRITE_BUFFER = 64 * 1024 * 1024;

type Db = Level<Buffer, Buffer>;

/**
 * `level://<dir>`: LevelDB (through `level`) in `<dir>/<table>`, one database per table with every
 * partition in it under a 5-byte prefix. A partition's data and its checkpoint are written in the
 * same `batch`, so the changelog offset the store claims to have applied is always the one its data
 * reflects. LevelDB locks its directory; a second open fails with a StoreLockedError.
 */
export class LevelStore<TKey, TValue> extends CachedStore<TKey, TValue> {
  readonly path: string;
  private db: Db | undefined;

  constructor(url: string, directory: string, options: StoreOptions<TKey, TValue>) {
    super(url, options);
    this.path = join(resolve(directory), options.table);
  }

  async open(): Promise<void> {
    if (this.db !== undefined) return;
    mkdirSync(this.path, { recursive: true });
    const db: Db = new Level<Buffer, Buffer>(this.path, { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: WRITE_BUFFER });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED' || (error as { code?: string }).code === 'LEVEL_LOCKED') {
        throw new StoreLockedError({ path: this.path, table: this.table }, { cause: error });
      }
      throw error;
    }
    this.db = db;
  }

  private opened(): Db {
    if (this.db === undefined) throw new Error(`level store ${this.path} used before open()`);
    return this.db;
  }

  protected async load(partition: number): Promise<LoadedPartition> {
    const db = this.opened();
    const raw = await db.get(partitionPrefix(CHECKPOINT, partition));
    const checkpoint = raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as PartitionCheckpoint);
    const gte = partitionPrefix(DATA, partition);
    const lt = partitionPrefix(DATA, partition + 1);
    async function* entries(): AsyncGenerator<Array<[Buffer, Buffer]>> {
      const iterator = db.iterator({ gte, lt });
      try {
        for (;;) {
          const chunk = await iterator.nextv(LOAD_CHUNK);
          if (chunk.length === 0) return;
          for (const item of chunk) item[0] = item[0].subarray(5);
          yield chunk;
        }
      } finally {
        await iterator.close();
      }
    }
    return { checkpoint, entries: entries() };
  }

  protected async persist(batches: readonly PartitionBatch[]): Promise<void> {
    const db = this.opened();
    const batch = db.batch();
    for (const { partition, writes, checkpoint } of batches) {
      const prefix = partitionPrefix(DATA, partition);
      for (const write of writes) {
        const key = Buffer.concat([prefix, write.key]);
        if (write.value === null) batch.del(key);
        else batch.put(key, write.value);
      }
      if (checkpoint !== undefined) {
        batch.put(partitionPrefix(CHECKPOINT, partition), Buffer.from(JSON.stringify(checkpoint), 'utf8'));
      }
    }
    await batch.write();
  }

  async inspect(): Promise<readonly StoredPartition[]> {
    const db = this.opened();
    const counts = new Map<number, number>();
    const keys = db.keys({ gte: partitionPrefix(DATA, 0), lt: Buffer.from([DATA + 1]) });
    try {
      for (;;) {
        const chunk = await keys.nextv(LOAD_CHUNK);
        if (chunk.length === 0) break;
        for (const key of chunk) {
          const partition = key.readUInt32BE(1);
          counts.set(partition, (counts.get(partition) ?? 0) + 1);
        }
      }
    } finally {
      await keys.close();
    }
    const checkpoints = new Map<number, PartitionCheckpoint>();
    for await (const [key, value] of db.iterator({ gte: partitionPrefix(CHECKPOINT, 0), lt: Buffer.from([CHECKPOINT + 1]) })) {
      checkpoints.set(key.readUInt32BE(1), JSON.parse(value.toString('utf8')) as PartitionCheckpoint);
    }
    const partitions = [...new Set([...counts.keys(), ...checkpoints.keys()])].sort((a, b) => a - b);
    return partitions.map((partition) => ({ partition, keys: counts.get(partition) ?? 0, checkpoint: checkpoints.get(partition) }));
  }

  protected async release(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.close();
  }
}
