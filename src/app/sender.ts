/**
 * The app's send path: every send (topic.send, yields to topic sinks, dead letters, replies,
 * table changelogs) is queued here and goes to the broker in batches, one `sendBatch` per turn of
 * the event loop (or sooner when a batch is full). All sends of one batch share one promise, so a
 * send costs an array push, not a promise.
 */
import type { Logger } from '../logging.js';
import type { Producer, ProducerRecord, TopicRecords } from '../transport/types.js';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The batch promise is returned to every sender; those that do not await it must not turn a
  // failed send into an unhandled rejection: failures are logged here and fail the next commit.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const NO_METADATA = Object.freeze({ metadata: false });

export class Sender {
  #pending = new Map<string, ProducerRecord[]>();
  #lastTopic: string | undefined;
  #lastList: ProducerRecord[] | undefined;
  #count = 0;
  #batch: Deferred | undefined;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown;
  /** Records enqueued and not yet acknowledged by the broker (queued or in flight). */
  #unacked = 0;
  #roomWaiters: (() => void)[] = [];

  constructor(
    readonly producer: Producer,
    readonly logger: Logger,
    readonly maxBatch = 10_000,
    /** Called once, on the first failed send: its records are lost, so the worker must stop (the runtime crashes). */
    readonly onFailure: (error: unknown) => void = () => {},
  ) {}

  /** Records queued and not yet handed to the producer. */
  get queued(): number {
    return this.#count;
  }

  enqueue(topic: string, record: ProducerRecord): Promise<void> {
    // Sends come in runs to one topic (an agent's yields): remember the last topic's list.
    let list = this.#lastTopic === topic ? this.#lastList : undefined;
    if (list === undefined) {
      list = this.#pending.get(topic);
      if (list === undefined) this.#pending.set(topic, (list = []));
      this.#lastTopic = topic;
      this.#lastList = list;
    }
    list.push(record);
    this.#unacked++;
    const batch = (this.#batch ??= deferred());
    if (++this.#count >= this.maxBatch) {
      this.#flushInBackground();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flushInBackground();
      });
    }
    return batch.promise;
  }

  /**
   * Back-pressure for senders that produce faster than the broker acknowledges: undefined while
   * fewer than two full batches are unacknowledged, else a promise that resolves when they drop
   * below that. Yields to topic sinks wait on it; without it an agent on a slow broker queued
   * its sends without bound (the peers benchmark: 560,000 pending records, 840 MiB RSS).
   */
  whenRoom(): Promise<void> | undefined {
    if (this.#unacked < this.maxBatch * 2) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** A flush nobody awaits: a failure is kept for the commits (and reported by onFailure), not thrown here. */
  #flushInBackground(): void {
    this.flush().catch(() => {});
  }

  /**
   * Sends what is queued; resolves when it and every earlier batch were acknowledged. Once a send
   * failed, every flush rejects with that failure from then on: its records are lost, and no
   * commit may pass them (a restart reprocesses from the last commit before it).
   */
  flush(): Promise<void> {
    if (this.#count > 0) {
      const batches: TopicRecords[] = [];
      for (const [topic, records] of this.#pending) batches.push({ topic, records });
      const batch = this.#batch!;
      const size = this.#count;
      this.#pending = new Map();
      this.#lastTopic = undefined;
      this.#lastList = undefined;
      this.#count = 0;
      this.#batch = undefined;
      const sent = this.#chain.then(() => this.producer.sendBatch(batches, NO_METADATA));
      const settled = () => {
        this.#unacked -= size;
        if (this.#roomWaiters.length > 0 && this.#unacked < this.maxBatch * 2) {
          const waiters = this.#roomWaiters;
          this.#roomWaiters = [];
          for (const w of waiters) w();
        }
      };
      this.#chain = sent.then(
        () => {
          settled();
          batch.resolve();
        },
        (error: unknown) => {
          settled();
          const first = this.#failure === undefined;
          this.#failure ??= error;
          this.logger.error('Send to the broker failed; offsets will not be committed past it', { error });
          batch.reject(error);
          if (first) this.onFailure(error);
        },
      );
    }
    return this.#chain.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
    });
  }
}
