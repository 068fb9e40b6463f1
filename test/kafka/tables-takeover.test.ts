/**
 * Two workers of one app (same app id, so one consumer group) share a 4-partition source topic and
 * count events per key into a table, each with its own level store directory. One is killed with
 * SIGKILL in the middle of the stream; after its session expires the survivor takes its partitions
 * over, restores them from the changelog before processing them, and goes on. The final counts,
 * read from the changelog as compaction would leave it (the last value per key), are exactly those
 * of the input: under exactly_once (the changelog and the offsets commit in one transaction) and
 * under at_least_once (the changelog records carry the source offsets they cover, so replayed
 * events already in the changelog are not counted again, and those that are not are counted once).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openTransport } from '../../src/transport/index.js';
import { processedCount, startWorker } from './child.js';
import { kafkaUrl, uniqueName, waitFor } from './helpers.js';

const script = fileURLToPath(new URL('./workers/app-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const N = 4000;
const KEYS = 37;
const keyOf = (i: number) => `k${(i * 7) % KEYS}`;

describe.each(['exactly_once', 'at_least_once'] as const)('two workers sharing a table on kafka:// (%s)', (guarantee) => {
  it('counts exactly once after one worker is killed and the other takes its partitions over', async () => {
    const t = await openTransport(kafkaUrl, { clientId: 'takeover-test' });
    try {
      const appId = uniqueName('takeover');
      const input = uniqueName('takeover-in');
      await t.admin().createTopics([{ topic: input, partitions: 4 }]);
      // Sessions expire in 6 s, so that the survivor gets the partitions soon after the kill.
      const url = `${kafkaUrl}?sessionTimeout=6000&heartbeatInterval=1000`;
      const dir = () => {
        const d = mkdtempSync(join(tmpdir(), 'mephisto-takeover-'));
        dirs.push(d);
        return d;
      };
      const survivor = startWorker(script, [url, appId, input, '-', dir(), guarantee, '1'], children);
      await survivor.line((l) => l === 'started', '"started"');
      const victim = startWorker(script, [url, appId, input, '-', dir(), guarantee, '1'], children);
      await victim.line((l) => l === 'started', '"started"');

      // Produce while the workers run; kill the victim once it has counted part of the stream.
      const producer = t.producer();
      const expected = new Map<string, number>();
      let sent = 0;
      const produce = async (upTo: number) => {
        for (; sent < upTo; sent += 100) {
          const records = Array.from({ length: 100 }, (_, j) => {
            const key = keyOf(sent + j);
            expected.set(key, (expected.get(key) ?? 0) + 1);
            return { key: Buffer.from(key), value: Buffer.from(`${key}:${sent + j}`) };
          });
          await producer.send(input, records);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await produce(N / 2);
      await victim.line((l) => l.startsWith('processed ') && Number(l.slice(10)) >= 300, 'its first 300 events');
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe(null);
      const victimCounted = processedCount(victim.lines);
      const recoveriesBefore = survivor.lines.filter((l) => l.startsWith('recovered ')).length;
      await produce(N);
      await producer.close();

      const committed = await waitFor(
        'the group to commit every input event',
        async () => {
          const offsets = await t.admin().fetchCommittedOffsets(appId, input);
          const total = offsets.reduce((n, o) => n + Number(o.offset), 0);
          return total === N ? total : undefined;
        },
        100_000,
      );
      expect(committed).toBe(N);
      expect(victimCounted).toBeGreaterThanOrEqual(300);
      // The survivor restored the victim's partitions from the changelog (not empty: the victim had committed counts).
      const recoveries = survivor.lines.filter((l) => l.startsWith('recovered ')).slice(recoveriesBefore);
      expect(recoveries.length).toBeGreaterThan(0);
      expect(recoveries.some((l) => Number(l.split(' ')[2]) > 0)).toBe(true);

      // The compacted view of the changelog: the last value of every key.
      const changelog = `${appId}-counts-changelog`;
      const counts = new Map<string, number>();
      for (let p = 0; p < 4; p++) {
        for await (const records of t.readPartition(changelog, p)) {
          for (const r of records) {
            if (r.value === null) counts.delete(r.key!.toString());
            else counts.set(r.key!.toString(), JSON.parse(r.value.toString()) as number);
          }
        }
      }
      const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));
      expect(sorted(counts)).toEqual(sorted(expected));
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(N);

      survivor.child.kill('SIGTERM');
      await survivor.exited;
    } finally {
      await t.close();
    }
  });
});
