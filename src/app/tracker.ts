/**
 * At-least-once bookkeeping for one partition of the app's consumer.
 *
 * Every delivered record gets a sequence number and a count of the agent inputs it went to. An
 * input acknowledges a record when its handler is done with it (asked for the next one, or acked
 * by hand). The committable offset is the offset after the last record of the longest fully
 * acknowledged prefix: a slow record holds back the commit of every record after it, however
 * many of those are done.
 */
export class PartitionTracker {
  #offsets: number[] = [];
  #pending: number[] = [];
  /** Sequence number of `#offsets[0]`. */
  #base = 0;
  /** Index (relative to `#base`) of the first record not yet fully acknowledged. */
  #head = 0;
  /** Offset to commit next (last fully processed + 1); -1 when nothing was processed yet. */
  committable = -1;
  /** The offset last committed (so the runtime commits only when it moved). */
  committed = -1;
  #idleWaiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Registers a delivered record; returns its sequence number for `ack`. */
  push(offset: number, consumers: number): number {
    const seq = this.#base + this.#offsets.length;
    this.#offsets.push(offset);
    this.#pending.push(consumers);
    if (consumers === 0 && this.#head === this.#offsets.length - 1) this.#advance();
    return seq;
  }

  ack(seq: number): void {
    const index = seq - this.#base;
    if (index >= this.#pending.length) return; // discarded on revocation: nothing to commit
    const left = --this.#pending[index]!;
    if (left === 0 && index === this.#head) this.#advance();
  }

  /** Records delivered and not yet fully acknowledged. */
  get inFlight(): number {
    return this.#offsets.length - this.#head;
  }

  #advance(): void {
    const offsets = this.#offsets;
    const pending = this.#pending;
    let head = this.#head;
    while (head < offsets.length && pending[head] === 0) head++;
    if (head > 0) this.committable = offsets[head - 1]! + 1;
    if (head > 4096 && head * 2 > offsets.length) {
      offsets.splice(0, head);
      pending.splice(0, head);
      this.#base += head;
      head = 0;
    }
    this.#head = head;
    if (head === offsets.length && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Forgets the records from sequence `seq` on that were queued but never handed to a handler
   * (on revocation): they are not committed and the next owner of the partition reads them again.
   */
  discardFrom(seq: number): void {
    const index = seq - this.#base;
    if (index < this.#head || index >= this.#offsets.length) return;
    this.#offsets.length = index;
    this.#pending.length = index;
    this.#advance();
  }

  /** Resolves when every record delivered so far is acknowledged. */
  idle(): Promise<void> {
    if (this.#head === this.#offsets.length) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
