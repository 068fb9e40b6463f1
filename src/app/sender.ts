/**
 * The app's send path: every send (topic.send, yields to topic sinks, dead letters, replies,
 * table changelogs) is queued here and goes to the broker in batches, one send per turn of the
 * event loop (or sooner when a batch is full). All sends of one batch share one promise, so a
 * send costs no promise; a topic's records of one batch are encoded into one RecordBuffer, so a
 * send costs no Buffer and no record object either (topics write into `startRecord(topic)`'s
 * buffer, then call `recordWritten()`).
 */
import type { Logger } from '../logging.js';
import { RecordBuffer } from '../transport/record-buffer.js';
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

/** The largest buffer a topic's next batch starts with (it grows past it when it must). */
const MAX_SIZE_HINT = 1 << 20;

export interface SenderOptions {
  /** Records per batch (default 10,000). */
  readonly maxBatch?: number;
  /** Called once, on the first failed send: its records are lost, so the worker must stop (the runtime crashes). */
  readonly onFailure?: (error: unknown) => void;
}

export class Sender {
  #pending = new Map<string, RecordBuffer>();
  #last: RecordBuffer | undefined;
  /** A record is being written (between `startRecord` and `recordWritten`/`recordDropped`). */
  #open = false;
  /** Records enqueued while a record was open, added when it closes. */
  #deferred: { topic: string; record: ProducerRecord }[] = [];
  /** Bytes and records of each topic's last batch: the next buffer is sized to them. */
  #sizeHints = new Map<string, { bytes: number; records: number }>();
  #count = 0;
  #batch: Deferred | undefined;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown;
  /** Records enqueued and not yet acknowledged by the broker (queued or in flight). */
  #unacked = 0;
  #roomWaiters: (() => void)[] = [];

  /** Records per batch: a batch this full is sent at once, not at the end of the turn. */
  readonly maxBatch: number;
  readonly #onFailure: (error: unknown) => void;

  constructor(
    readonly producer: Producer,
    readonly logger: Logger,
    options: SenderOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 10_000;
    this.#onFailure = options.onFailure ?? (() => {});
  }

  /** Records queued and not yet handed to the producer. */
  get queued(): number {
    return this.#count;
  }

  /**
   * Opens a record to `topic`: the buffer to write it into (`writeKey`, `writeValue`,
   * `endRecord`), after which the writer calls `recordWritten()`, or, when its encoding failed,
   * `dropRecord()` on the buffer and `recordDropped()` here. Undefined while another record is
   * open: a codec that sends from inside its own encoding (the only code that can run then) must
   * go through `enqueue`, whose records wait until the open one is written.
   */
  startRecord(topic: string): RecordBuffer | undefined {
    if (this.#open) return undefined;
    this.#open = true;
    return this.#bufferOf(topic);
  }

  /** Closes the record opened by `startRecord`; resolves when its batch is acknowledged. */
  recordWritten(): Promise<void> {
    this.#open = false;
    const batch = (this.#batch ??= deferred());
    this.#counted(1 + this.#takeDeferred());
    return batch.promise;
  }

  /** Closes the record opened by `startRecord` without one (its encoding failed). */
  recordDropped(): void {
    this.#open = false;
    const deferredCount = this.#takeDeferred();
    if (deferredCount > 0) this.#counted(deferredCount);
  }

  /** Queues a record whose key and value are bytes already (copied into the topic's buffer). */
  enqueue(topic: string, record: ProducerRecord): Promise<void> {
    const batch = (this.#batch ??= deferred());
    if (this.#open) {
      // sent from inside an open record's encoding: added when that record is written, in this batch
      this.#deferred.push({ topic, record });
      return batch.promise;
    }
    this.#bufferOf(topic).addRecord(record);
    this.#counted(1);
    return batch.promise;
  }

  #bufferOf(topic: string): RecordBuffer {
    // Sends come in runs to one topic (an agent's yields): the last topic's buffer first.
    const last = this.#last;
    if (last !== undefined && last.topic === topic) return last;
    let buffer = this.#pending.get(topic);
    if (buffer === undefined) {
      const hint = this.#sizeHints.get(topic);
      this.#pending.set(topic, (buffer = new RecordBuffer(topic, hint?.bytes, hint?.records)));
    }
    this.#last = buffer;
    return buffer;
  }

  /** Adds the records deferred while a record was open; returns how many. */
  #takeDeferred(): number {
    const deferredRecords = this.#deferred;
    if (deferredRecords.length === 0) return 0;
    this.#deferred = [];
    for (const { topic, record } of deferredRecords) this.#bufferOf(topic).addRecord(record);
    return deferredRecords.length;
  }

  /** Counts `n` records added to the current batch, and sends it when full (else at the end of the turn). */
  #counted(n: number): void {
    this.#unacked += n;
    this.#count += n;
    if (this.#count >= this.maxBatch) {
      this.#flushInBackground();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flushInBackground();
      });
    }
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
      const buffers: RecordBuffer[] = [];
      for (const buffer of this.#pending.values()) {
        if (buffer.count === 0) continue; // only dropped records (their encoding failed)
        buffers.push(buffer);
        // the next batch's buffer is sized to this one, within bounds (one batch of big records
        // must not size every later one)
        this.#sizeHints.set(buffer.topic, { bytes: Math.min(buffer.used, MAX_SIZE_HINT), records: Math.min(buffer.count, this.maxBatch) });
      }
      const batch = this.#batch!;
      const size = this.#count;
      this.#pending = new Map();
      this.#last = undefined;
      this.#count = 0;
      this.#batch = undefined;
      const sent = this.#chain.then(() => this.#send(buffers));
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
          if (first) this.#onFailure(error);
        },
      );
    }
    return this.#chain.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
    });
  }

  /** One batch to the producer: whole buffers when it takes them, else records. */
  #send(buffers: readonly RecordBuffer[]): Promise<unknown> {
    if (this.producer.sendBuffered !== undefined) return this.producer.sendBuffered(buffers);
    const batches: TopicRecords[] = buffers.map((buffer) => ({ topic: buffer.topic, records: buffer.toProducerRecords() }));
    return this.producer.sendBatch(batches, NO_METADATA);
  }
}
