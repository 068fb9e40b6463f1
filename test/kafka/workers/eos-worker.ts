/**
 * A consume-transform-produce worker on the kafka:// transport, run as a child process by
 * eos.test.ts so that it can be killed with SIGKILL. Per input batch, one transaction on the
 * partition's own transactional producer: the transformed records and the input offsets commit
 * together or not at all.
 *
 *   tsx eos-worker.ts <brokerUrl> <input> <output> <groupId> <txPrefix> [hangAfterTransactions]
 *
 * With `hangAfterTransactions`, after that many committed transactions the worker begins one more,
 * sends its output, prints `mid-transaction` and waits (to be killed there).
 */
import { openTransport } from '../../../src/transport/index.js';
import type { Producer } from '../../../src/transport/types.js';

const [brokerUrl, input, output, groupId, txPrefix, hangAfter] = process.argv.slice(2) as [string, string, string, string, string, string?];
const hangAfterTransactions = hangAfter === undefined ? Infinity : Number(hangAfter);

const transport = await openTransport(brokerUrl, { clientId: 'eos-worker' });
await transport.connect();
const producers = new Map<number, Producer>();
const producerFor = (partition: number) => {
  let producer = producers.get(partition);
  if (producer === undefined) producers.set(partition, (producer = transport.producer({ transactionalId: `${txPrefix}-${input}-${partition}` })));
  return producer;
};
let committed = 0;
// Transactions allowed past the hang check; counted synchronously with the check, because batches
// of different partitions run concurrently (two could otherwise both see `committed < N`).
let admitted = 0;
const commits: Promise<void>[] = [];
const consumer = transport.consumer({ groupId, maxBatchSize: 10, readCommitted: true });
await consumer.subscribe([input]);
await consumer.run({
  async onAssigned(partitions) {
    // Fence the previous owner's producers (aborting what they left open) before any batch.
    for (const { partition } of partitions) await (await producerFor(partition).transaction()).abort();
    process.stdout.write(`assigned ${partitions.map((p) => p.partition).join(',')}\n`);
  },
  async onRevoked() {},
  async onBatch(batch) {
    const transaction = await producerFor(batch.partition).transaction();
    await transaction.send(
      output,
      batch.records.map((r) => ({ key: r.key, value: Buffer.from(`${r.value!.toString()}:processed`), partition: batch.partition })),
    );
    if (admitted >= hangAfterTransactions) {
      // Say so only once every admitted transaction has committed: the test then knows exactly
      // how many were committed before its kill.
      await Promise.allSettled(commits);
      process.stdout.write('mid-transaction\n');
      await new Promise(() => {});
    }
    admitted++;
    const last = batch.records[batch.records.length - 1]!;
    const commit = (async () => {
      await transaction.sendOffsets(groupId, [{ topic: input, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }]);
      await transaction.commit();
      committed++;
      process.stdout.write(`committed ${committed}\n`);
    })();
    commits.push(commit);
    await commit;
  },
  onError(error) {
    process.stderr.write(`worker failed: ${error.message}\n`);
    process.exit(1);
  },
});
process.on('SIGTERM', () => {
  void consumer.stop().then(() => transport.close()).then(() => process.exit(0));
});
