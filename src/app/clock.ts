/**
 * Time as the runtime sees it. Timers, crontabs, `take(n, { within })` and tables' windows ask the
 * app's clock, never `Date.now()` or `setTimeout` directly, so that the test driver can replace it
 * with a simulated clock and advance time at will.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  schedule(ms: number, fn: () => void) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
});

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets pending promise callbacks and immediates run (one turn of the event loop). */
const settleEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that moves only when told to (`advance`); the test driver's. */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  #pending: Pending[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, fn: () => void): () => void {
    const entry: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Number of scheduled calls not yet run nor cancelled. */
  get pendingCount(): number {
    return this.#pending.filter((p) => !p.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, running every scheduled call that falls due, in time order, with
   * `now()` set to each call's time. `settle` runs between calls so that async work a call
   * started (a timer's handler) finishes before the next one fires.
   */
  async advance(ms: number, settle: () => Promise<void> = settleEventLoop): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      this.#pending = this.#pending.filter((p) => !p.cancelled);
      this.#pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#pending[0];
      if (next === undefined || next.at > target) break;
      this.#pending.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}
