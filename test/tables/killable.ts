/**
 * A worker's connection to the embedded broker that can be cut as a SIGKILL would cut it.
 *
 * Why not a child process killed with SIGKILL: the `memory://` broker lives in the process that
 * opened it, so it would die with the worker and there would be nothing to restart against. The
 * broker therefore stays in the test process, and what dies is everything the worker owned:
 * `kill()` makes its consumer leave the group with no revocation callback and no commit, drops
 * every batch still to be delivered, and fails every later send and commit; the test then
 * releases the worker's level store without writing (`TableState.abandon`), which is what the OS
 * does to a killed process's file handles and LevelDB lock. What the broker holds is exactly what
 * the worker had sent and committed before the kill.
 */
import type {
  Admin,
  Consumer,
  ConsumerHandlers,
  ConsumerOptions,
  Producer,
  ProducerOptions,
  Transport,
  PartitionReadOptions,
  ConsumerRecord,
} from '../../src/transport/types.js';

export class KillableTransport implements Transport {
  private killed = false;
  private readonly consumers: Consumer[] = [];

  constructor(private readonly inner: Transport) {}

  get url(): string {
    return this.inner.url;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  admin(): Admin {
    return this.inner.admin();
  }

  private dead(what: string): Error {
    return new Error(`killed worker: ${what} never happens`);
  }

  producer(options?: ProducerOptions): Producer {
    const inner = this.inner.producer(options);
    return {
      send: (topic, records) => (this.killed ? Promise.reject(this.dead(`send to ${topic}`)) : inner.send(topic, records)),
      sendBatch: (batches) => (this.killed ? Promise.reject(this.dead('send')) : inner.sendBatch(batches)),
      transaction: () => inner.transaction(),
      close: () => (this.killed ? Promise.resolve() : inner.close()),
    };
  }

  consumer(options: ConsumerOptions): Consumer {
    const inner = this.inner.consumer(options);
    this.consumers.push(inner);
    return {
      subscribe: (topics) => inner.subscribe(topics),
      run: (handlers: ConsumerHandlers) =>
        inner.run({
          onAssigned: (partitions) => (this.killed ? Promise.resolve() : handlers.onAssigned(partitions)),
          onRevoked: (partitions) => (this.killed ? Promise.resolve() : handlers.onRevoked(partitions)),
          onBatch: (batch) => (this.killed ? undefined : handlers.onBatch(batch)),
          ...(handlers.onError === undefined ? {} : { onError: (error: Error) => (this.killed ? undefined : handlers.onError!(error)) }),
        }),
      commit: (offsets) => (this.killed ? Promise.reject(this.dead('commit')) : inner.commit(offsets)),
      pause: (partitions) => inner.pause(partitions),
      resume: (partitions) => inner.resume(partitions),
      seek: (position) => inner.seek(position),
      assignment: () => inner.assignment(),
      stop: () => (this.killed ? Promise.resolve() : inner.stop()),
    };
  }

  readPartition(topic: string, partition: number, options?: PartitionReadOptions): AsyncIterable<readonly ConsumerRecord[]> {
    return this.inner.readPartition(topic, partition, options);
  }

  close(): Promise<void> {
    return this.killed ? Promise.resolve() : this.inner.close();
  }

  /** Cuts the worker off: from now on it sends, commits and receives nothing. */
  async kill(): Promise<void> {
    this.killed = true;
    // The group forgets the member (as the broker does when its session ends): its partitions
    // go to whoever joins next, from the last committed offsets. The callbacks above are dead.
    for (const consumer of this.consumers) await consumer.stop();
  }
}
