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
  // Slots [#head, #tail) are delivered and not fully acknowledged; slots before #head are done.
  // When everything is acknowledged the slots restart at 0, and a tracker that never catches up
  // (a consumer keeps delivering ahead of the handler) moves its live slots to the front now and
  // then. Typed arrays: their copyWithin is a memmove (an array's copies element by element),
  // and their capacity is kept (doubled when full).
  #offsets = new Float64Array(1024);
  #pending = new Int32Array(1024);
  /** Sequence number of slot 0. */
  #base = 0;
  /** Slot of the first record not yet fully acknowledged. */
  #head = 0;
  /** Slot after the last delivered record. */
  #tail = 0;
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
    const tail = this.#tail;
    if (tail === this.#offsets.length) this.#grow();
    const seq = this.#base + tail;
    this.#offsets[tail] = offset;
    this.#pending[tail] = consumers;
    this.#tail = tail + 1;
    if (consumers === 0 && this.#head === tail) this.#advance();
    return seq;
  }

  #grow(): void {
    const offsets = new Float64Array(this.#offsets.length * 2);
    offsets.set(this.#offsets);
    this.#offsets = offsets;
    const pending = new Int32Array(this.#pending.length * 2);
    pending.set(this.#pending);
    this.#pending = pending;
  }

  ack(seq: number): void {
    const index = seq - this.#base;
    if (index < 0 || index >= this.#tail) return; // discarded on revocation: nothing to commit
    const left = --this.#pending[index]!;
    if (left === 0 && index === this.#head) this.#advance();
  }

  /** Records delivered and not yet fully acknowledged. */
  get inFlight(): number {
    return this.#tail - this.#head;
  }

  #advance(): void {
    const offsets = this.#offsets;
    const pending = this.#pending;
    const tail = this.#tail;
    let head = this.#head;
    while (head < tail && pending[head] === 0) head++;
    if (head > 0) this.committable = offsets[head - 1]! + 1;
    if (head === tail) {
      // all acknowledged: start again at slot 0
      this.#base += head;
      this.#head = this.#tail = 0;
      if (this.#idleWaiters.length > 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
      return;
    }
    if (head > 4096 && head * 2 > tail) {
      offsets.copyWithin(0, head, tail);
      pending.copyWithin(0, head, tail);
      this.#base += head;
      this.#tail = tail - head;
      head = 0;
    }
    this.#head = head;
  }

  /**
   * Forgets the records from sequence `seq` on that were queued but never handed to a handler
   * (on revocation): they are not committed and the next owner of the partition reads them again.
   */
  discardFrom(seq: number): void {
    const index = seq - this.#base;
    if (index < this.#head || index >= this.#tail) return;
    this.#tail = index;
    this.#advance();
  }

  /** Resolves when every record delivered so far is acknowledged. */
  idle(): Promise<void> {
    if (this.#head === this.#tail) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
