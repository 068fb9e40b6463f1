/**
 * The bounded queue between the consumer and one agent instance, for one topic (or channel).
 *
 * The consumer pushes records; the instance's stream shifts them. `capacity` bounds the queue: a
 * push into a full queue waits for space (`whenSpace`), and the consumer pauses the partition
 * meanwhile, which is how a slow agent holds back the broker instead of filling memory.
 *
 * Records handed to the handler and not yet acknowledged are kept as `pending`: the stream
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

const wakeAll = (waiters: readonly (() => void)[]): void => {
  for (const resolve of waiters) resolve();
};

/** Initial ring size (a power of two). */
const INITIAL_RING = 1024;

export class Input {
  // The queue: a ring of three parallel arrays (no per-item wrapper object), #count slots from
  // #head, their size a power of two, doubled when full. A ring never moves its items: a queue
  // that never empties (a slow agent, the consumer refilling it) cost ~75 ns per record more
  // when its live slots were moved to the front now and then (an array's copyWithin copies
  // element by element).
  #items: (InputItem | undefined)[] = new Array<InputItem | undefined>(INITIAL_RING).fill(undefined);
  #trackers: (PartitionTracker | null)[] = new Array<PartitionTracker | null>(INITIAL_RING).fill(null);
  #seqs: number[] = new Array<number>(INITIAL_RING).fill(0);
  #mask = INITIAL_RING - 1;
  #head = 0;
  #count = 0;

  // Handed to the handler, not yet acknowledged: slots [#pendingHead, #pendingTail) of three
  // arrays that keep their capacity (truncating an array frees its storage, to be regrown every
  // batch). An item acknowledged by hand before older ones leaves a hole (undefined). Slot i holds
  // delivery number #pendingBase + i (deliveries are numbered by `deliveredTotal`), so that an
  // event acknowledges its own slot without a search, and nothing is moved on an acknowledgement:
  // acknowledging a batch of 1,000 events in order cost 77 us per event when each one shifted
  // the rest.
  #pendingItems: (InputItem | undefined)[] = [];
  #pendingTrackers: (PartitionTracker | null)[] = [];
  #pendingSeqs: number[] = [];
  #pendingHead = 0;
  #pendingTail = 0;
  #pendingLive = 0;
  #pendingBase = 0;

  #dataWaiters: (() => void)[] = [];
  #spaceWaiters: (() => void)[] = [];
  #closedWaiters: (() => void)[] = [];
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
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= this.capacity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(item: InputItem, tracker: PartitionTracker | null, seq: number): void {
    const count = this.#count;
    if (count > this.#mask) this.#grow();
    const slot = (this.#head + count) & this.#mask;
    this.#items[slot] = item;
    this.#trackers[slot] = tracker;
    this.#seqs[slot] = seq;
    this.#count = count + 1;
    if (count >= this.highWater) this.highWater = count + 1;
    if (this.#dataWaiters.length > 0) this.#wakeData();
  }

  /** Doubles the ring, its items moved to the front in queue order. */
  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const items = new Array<InputItem | undefined>(size).fill(undefined);
    const trackers = new Array<PartitionTracker | null>(size).fill(null);
    const seqs = new Array<number>(size).fill(0);
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) & this.#mask;
      items[i] = this.#items[slot];
      trackers[i] = this.#trackers[slot]!;
      seqs[i] = this.#seqs[slot]!;
    }
    this.#items = items;
    this.#trackers = trackers;
    this.#seqs = seqs;
    this.#mask = size - 1;
    this.#head = 0;
  }

  #wakeData(): void {
    const waiters = this.#dataWaiters;
    this.#dataWaiters = [];
    wakeAll(waiters);
  }

  /** Moves the next queued item to the delivered ones; undefined when the queue is empty. */
  deliverNext(): InputItem | undefined {
    if (this.#count === 0) return undefined;
    const head = this.#head;
    const item = this.#items[head]!;
    const n = this.#pendingTail;
    this.#pendingItems[n] = item;
    this.#pendingTrackers[n] = this.#trackers[head]!;
    this.#pendingSeqs[n] = this.#seqs[head]!;
    this.#pendingTail = n + 1;
    this.#pendingLive++;
    this.deliveredTotal++;
    this.#items[head] = undefined; // the queue no longer holds it
    this.#trackers[head] = null;
    this.#head = (head + 1) & this.#mask;
    const count = --this.#count;
    if (this.#spaceWaiters.length > 0 && count <= this.capacity >> 1) this.#wakeSpace();
    return item;
  }

  /** Acknowledges every delivered item (the handler is done with them). */
  ackDelivered(): void {
    if (this.#pendingLive === 0) return;
    const items = this.#pendingItems;
    const trackers = this.#pendingTrackers;
    const seqs = this.#pendingSeqs;
    for (let i = this.#pendingHead; i < this.#pendingTail; i++) {
      if (items[i] !== undefined) trackers[i]?.ack(seqs[i]!);
      items[i] = undefined;
      trackers[i] = null;
    }
    this.#resetPending();
  }

  /** Nothing pending: slots start again at 0, numbered from the next delivery. */
  #resetPending(): void {
    this.#pendingHead = this.#pendingTail = this.#pendingLive = 0;
    this.#pendingBase = this.deliveredTotal;
  }

  /** The delivery number of the item handed out last (what `ackItem` takes to find it at once). */
  get lastDelivery(): number {
    return this.deliveredTotal - 1;
  }

  /**
   * Acknowledges one delivered item (manual acknowledgement, a dropped element). `delivery`, its
   * delivery number when known (`lastDelivery` right after it was handed out), finds it without a
   * search. Returns false if it was not pending (acknowledged already).
   */
  ackItem(item: InputItem, delivery?: number): boolean {
    const items = this.#pendingItems;
    const head = this.#pendingHead;
    let index = delivery === undefined ? -1 : delivery - this.#pendingBase;
    if (index < head || index >= this.#pendingTail || items[index] !== item) {
      // the oldest (acknowledging in order), else search from the newest (the element in hand)
      if (items[head] === item && head < this.#pendingTail) {
        index = head;
      } else {
        index = this.#pendingTail - 1;
        while (index >= head && items[index] !== item) index--;
        if (index < head) return false;
      }
    }
    this.#pendingTrackers[index]?.ack(this.#pendingSeqs[index]!);
    items[index] = undefined;
    this.#pendingTrackers[index] = null;
    if (--this.#pendingLive === 0) {
      this.#resetPending();
    } else if (index === head) {
      let next = head + 1;
      while (items[next] === undefined) next++; // stops at a live slot: one is left
      this.#pendingHead = next;
      if (next > 4096 && next * 2 > this.#pendingTail) this.#compactPending();
    }
    return true;
  }

  /** Moves the pending slots to the front (acknowledged oldest first, never all at once). */
  #compactPending(): void {
    const head = this.#pendingHead;
    const tail = this.#pendingTail;
    const items = this.#pendingItems;
    const trackers = this.#pendingTrackers;
    const seqs = this.#pendingSeqs;
    // a loop, not copyWithin: an array's copyWithin copies element by element, slowly
    for (let i = head; i < tail; i++) {
      items[i - head] = items[i];
      trackers[i - head] = trackers[i]!;
      seqs[i - head] = seqs[i]!;
    }
    for (let i = tail - head; i < tail; i++) {
      items[i] = undefined;
      trackers[i] = null;
    }
    this.#pendingBase += head;
    this.#pendingHead = 0;
    this.#pendingTail = tail - head;
  }

  /** The delivered items not yet acknowledged, oldest first (what the handler is working on). */
  get pending(): InputItem[] {
    const out: InputItem[] = [];
    for (let i = this.#pendingHead; i < this.#pendingTail; i++) {
      const item = this.#pendingItems[i];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** The most recently delivered item still pending (the handler's current event). */
  get current(): InputItem | undefined {
    const items = this.#pendingItems;
    for (let i = this.#pendingTail - 1; i >= this.#pendingHead; i--) if (items[i] !== undefined) return items[i];
    return undefined;
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
    wakeAll(waiters);
  }

  /**
   * Drops queued (never delivered) items of one partition, on revocation; returns the lowest
   * sequence number dropped for that tracker, or undefined.
   */
  discard(tracker: PartitionTracker): number | undefined {
    let lowest: number | undefined;
    let kept = 0;
    const count = this.#count;
    const mask = this.#mask;
    // keep the other partitions' items in order, moved towards the head
    for (let i = 0; i < count; i++) {
      const from = (this.#head + i) & mask;
      if (this.#trackers[from] === tracker) {
        lowest ??= this.#seqs[from]!;
        continue;
      }
      const to = (this.#head + kept++) & mask;
      this.#items[to] = this.#items[from];
      this.#trackers[to] = this.#trackers[from]!;
      this.#seqs[to] = this.#seqs[from]!;
    }
    for (let i = kept; i < count; i++) {
      const slot = (this.#head + i) & mask;
      this.#items[slot] = undefined;
      this.#trackers[slot] = null;
    }
    this.#count = kept;
    if (this.#spaceWaiters.length > 0 && !this.full) this.#wakeSpace();
    return lowest;
  }

  /** Resolves when the input is closed (the instance stops). */
  whenClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#closedWaiters.push(resolve));
  }

  /** No more items will come: a waiting stream ends, waiting pushers are released. */
  close(): void {
    this.#closed = true;
    const waiters = this.#closedWaiters;
    this.#closedWaiters = [];
    wakeAll(waiters);
    this.#wakeData();
    this.#wakeSpace();
  }
}
