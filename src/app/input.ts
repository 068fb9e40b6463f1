/**
 * The bounded queue between the consumer and one agent instance, for one topic (or channel).
 *
 * The consumer pushes records; the instance's stream shifts them. `capacity` bounds the queue: a
 * push into a full queue waits for space (`whenSpace`), and the consumer pauses the partition
 * meanwhile, which is how a slow agent holds back the broker instead of filling memory.
 *
 * Records handed to the handler and not yet acknowledged are kept in `delivered*`: the stream
 * acknowledges them when the handler asks for the next element (or by hand), and the error policy
 * applies to them when the handler throws.
 */
import type { ConsumerRecord, RecordHeaders } from '../transport/types.js';
import type { WireCodec } from '../serde/wire.js';
import type { PartitionTracker } from './tracker.js';

/** An element sent through a channel: already a value, no bytes, no offset. */
export interface ChannelMessage {
  readonly channel: true;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: RecordHeaders;
  readonly timestamp: number;
  /** In-process reply path for `agent.ask` on a channel-fed agent. */
  readonly reply: ((value: unknown) => void) | undefined;
}

export type InputItem = ConsumerRecord | ChannelMessage;

export const isChannelMessage = (item: InputItem): item is ChannelMessage => (item as ChannelMessage).channel === true;

export interface InputCodecs {
  readonly key: WireCodec<unknown>;
  readonly value: WireCodec<unknown>;
}

export class Input {
  // The queue, as parallel arrays with a moving head (no per-item wrapper object).
  #items: InputItem[] = [];
  #trackers: (PartitionTracker | null)[] = [];
  #seqs: number[] = [];
  #head = 0;

  /** Handed to the handler, not yet acknowledged. */
  readonly deliveredItems: InputItem[] = [];
  readonly deliveredTrackers: (PartitionTracker | null)[] = [];
  readonly deliveredSeqs: number[] = [];

  #dataWaiters: (() => void)[] = [];
  #spaceWaiters: (() => void)[] = [];
  #closed = false;
  /** Items handed out so far (progress, for restart back-off). */
  deliveredTotal = 0;
  /** Largest queue length ever seen (tests of the back-pressure bound read it). */
  highWater = 0;

  constructor(
    /** Topic or channel name, for errors and logs. */
    readonly source: string,
    readonly capacity: number,
    /** Wire codecs of the topic; `undefined` for channels (values are not encoded). */
    public codecs: InputCodecs | undefined,
  ) {}

  get length(): number {
    return this.#items.length - this.#head;
  }

  get full(): boolean {
    return this.#items.length - this.#head >= this.capacity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(item: InputItem, tracker: PartitionTracker | null, seq: number): void {
    this.#items.push(item);
    this.#trackers.push(tracker);
    this.#seqs.push(seq);
    const length = this.#items.length - this.#head;
    if (length > this.highWater) this.highWater = length;
    if (this.#dataWaiters.length > 0) this.#wakeData();
  }

  #wakeData(): void {
    const waiters = this.#dataWaiters;
    this.#dataWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Moves the next queued item to the delivered list; false when the queue is empty. */
  deliverNext(): InputItem | undefined {
    const head = this.#head;
    if (head === this.#items.length) return undefined;
    const item = this.#items[head]!;
    this.deliveredTotal++;
    this.deliveredItems.push(item);
    this.deliveredTrackers.push(this.#trackers[head]!);
    this.deliveredSeqs.push(this.#seqs[head]!);
    this.#items[head] = undefined as unknown as InputItem;
    this.#head = head + 1;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#trackers.length = 0;
      this.#seqs.length = 0;
      this.#head = 0;
    } else if (this.#head > 8192 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#trackers.splice(0, this.#head);
      this.#seqs.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#spaceWaiters.length > 0 && this.length <= this.capacity >> 1) this.#wakeSpace();
    return item;
  }

  /** Acknowledges every delivered item (the handler is done with them). */
  ackDelivered(): void {
    const trackers = this.deliveredTrackers;
    const n = trackers.length;
    if (n === 0) return;
    const seqs = this.deliveredSeqs;
    if (n === 1) {
      // the usual case (auto acknowledgement): one event in hand
      const tracker = trackers.pop();
      const seq = seqs.pop()!;
      this.deliveredItems.pop();
      tracker?.ack(seq);
      return;
    }
    for (let i = 0; i < n; i++) trackers[i]?.ack(seqs[i]!);
    trackers.length = 0;
    seqs.length = 0;
    this.deliveredItems.length = 0;
  }

  /** Acknowledges one delivered item (manual acknowledgement). Returns false if it was not pending. */
  ackItem(item: InputItem): boolean {
    const last = this.deliveredItems.length - 1;
    const index = this.deliveredItems[last] === item ? last : this.deliveredItems.indexOf(item);
    if (index < 0) return false;
    this.deliveredTrackers[index]?.ack(this.deliveredSeqs[index]!);
    if (index === last) {
      // the usual case (a filter dropping the element in hand): no splice, no garbage
      this.deliveredItems.pop();
      this.deliveredTrackers.pop();
      this.deliveredSeqs.pop();
      return true;
    }
    this.deliveredItems.splice(index, 1);
    this.deliveredTrackers.splice(index, 1);
    this.deliveredSeqs.splice(index, 1);
    return true;
  }

  /** The most recently delivered item still pending (the handler's current event). */
  get current(): InputItem | undefined {
    return this.deliveredItems[this.deliveredItems.length - 1];
  }

  /** Resolves when an item was pushed or the input closed. */
  whenData(): Promise<void> {
    if (this.length > 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#dataWaiters.push(resolve));
  }

  /** Resolves when the queue drained to half its capacity (or closed). */
  whenSpace(): Promise<void> {
    if (!this.full || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  #wakeSpace(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Drops queued (never delivered) items of one partition, on revocation; returns the lowest
   * sequence number dropped for that tracker, or undefined.
   */
  discard(tracker: PartitionTracker): number | undefined {
    let lowest: number | undefined;
    const items: InputItem[] = [];
    const trackers: (PartitionTracker | null)[] = [];
    const seqs: number[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      if (this.#trackers[i] === tracker) {
        lowest ??= this.#seqs[i]!;
        continue;
      }
      items.push(this.#items[i]!);
      trackers.push(this.#trackers[i]!);
      seqs.push(this.#seqs[i]!);
    }
    this.#items = items;
    this.#trackers = trackers;
    this.#seqs = seqs;
    this.#head = 0;
    if (this.#spaceWaiters.length > 0 && !this.full) this.#wakeSpace();
    return lowest;
  }

  /** No more items will come: a waiting stream ends, waiting pushers are released. */
  close(): void {
    this.#closed = true;
    this.#wakeData();
    this.#wakeSpace();
  }
}
