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

  constructor(
    readonly producer: Producer,
    readonly logger: Logger,
    readonly maxBatch = 10_000,
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
    const batch = (this.#batch ??= deferred());
    if (++this.#count >= this.maxBatch) {
      void this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
    return batch.promise;
  }

  /**
   * Sends what is queued; resolves when it and every earlier batch were acknowledged, rejects if
   * any send since the last successful flush failed (so that a commit never passes a lost send).
   */
  flush(): Promise<void> {
    if (this.#count > 0) {
      const batches: TopicRecords[] = [];
      for (const [topic, records] of this.#pending) batches.push({ topic, records });
      const batch = this.#batch!;
      this.#pending = new Map();
      this.#lastTopic = undefined;
      this.#lastList = undefined;
      this.#count = 0;
      this.#batch = undefined;
      const sent = this.#chain.then(() => this.producer.sendBatch(batches, NO_METADATA));
      this.#chain = sent.then(
        () => batch.resolve(),
        (error: unknown) => {
          this.#failure = error;
          this.logger.error('Send to the broker failed; offsets will not be committed past it', { error });
          batch.reject(error);
        },
      );
    }
    return this.#chain.then(() => {
      const failure = this.#failure;
      if (failure !== undefined) {
        this.#failure = undefined;
        throw failure;
      }
    });
  }
}
