import { ConfigError } from '../errors.js';

/**
 * Window arithmetic for windowed tables, as pure functions of times in milliseconds.
 *
 * A window is the half-open range `[start, end)`. A window closes (fires `onWindowClose`, is
 * emitted in final-result mode, and is deleted from the store and the changelog) once the stream
 * time, the highest event time a partition has seen, reaches `end + expires`: `expires` is the
 * grace period in which late events still count. An event later than that for all of its windows
 * is late: counted and logged, never merged into a closed window.
 */
export interface WindowRange {
  readonly start: number;
  readonly end: number;
}

export type WindowSpec =
  /** Back-to-back windows of `size`. */
  | { readonly kind: 'tumbling'; readonly size: number; readonly expires: number }
  /** Windows of `size` starting every `step` (overlapping when step < size). */
  | { readonly kind: 'hopping'; readonly size: number; readonly step: number; readonly expires: number }
  /** Faust's sliding window: each event's own window, `[t - before, t + after + 1)`. */
  | { readonly kind: 'sliding'; readonly before: number; readonly after: number; readonly expires: number };

function positive(setting: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(setting, `must be a ${allowZero ? 'non-negative' : 'positive'} integer number of milliseconds, got ${value}`);
  }
  return value;
}

export function tumbling(size: number, expires = 0): WindowSpec {
  return { kind: 'tumbling', size: positive('tumbling size', size), expires: positive('expires', expires, true) };
}

export function hopping(size: number, step: number, expires = 0): WindowSpec {
  positive('hopping size', size);
  positive('hopping step', step);
  if (step > size) throw new ConfigError('hopping step', `${step} is larger than the window size ${size}: events between windows would be lost`);
  return { kind: 'hopping', size, step, expires: positive('expires', expires, true) };
}

export function sliding(before: number, after: number, expires = 0): WindowSpec {
  return {
    kind: 'sliding',
    before: positive('sliding before', before, true),
    after: positive('sliding after', after, true),
    expires: positive('expires', expires, true),
  };
}

/** Floor division that rounds towards minus infinity (timestamps before 1970 are times too). */
function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

/** Every window an event at `timestamp` belongs to, oldest first. */
export function windowRanges(spec: WindowSpec, timestamp: number): WindowRange[] {
  switch (spec.kind) {
    case 'tumbling': {
      const start = floorTo(timestamp, spec.size);
      return [{ start, end: start + spec.size }];
    }
    case 'hopping': {
      const ranges: WindowRange[] = [];
      const last = floorTo(timestamp, spec.step);
      // The first start s with s + size > timestamp, on the step grid.
      const first = floorTo(timestamp - spec.size, spec.step) + spec.step;
      for (let start = first; start <= last; start += spec.step) ranges.push({ start, end: start + spec.size });
      return ranges;
    }
    case 'sliding':
      return [{ start: timestamp - spec.before, end: timestamp + spec.after + 1 }];
  }
}

/** The window reads at `timestamp` look at: the most recent window holding it (Faust's `current`). */
export function windowAt(spec: WindowSpec, timestamp: number): WindowRange {
  const ranges = windowRanges(spec, timestamp);
  return ranges[ranges.length - 1]!;
}

/** The window that starts at `start` (windows are identified by their start in the store). */
export function windowOf(spec: WindowSpec, start: number): WindowRange {
  switch (spec.kind) {
    case 'tumbling':
    case 'hopping':
      return { start, end: start + spec.size };
    case 'sliding':
      return { start, end: start + spec.before + spec.after + 1 };
  }
}

/** The stream time at which a window closes. */
export function closesAt(spec: WindowSpec, range: WindowRange): number {
  return range.end + spec.expires;
}

export function isClosed(spec: WindowSpec, range: WindowRange, streamTime: number): boolean {
  return streamTime >= closesAt(spec, range);
}

/**
 * Splits an event's windows into those still open at `streamTime` (the event counts there) and
 * those already closed (the event is late for them).
 */
export function assignWindows(
  spec: WindowSpec,
  timestamp: number,
  streamTime: number,
): { readonly open: WindowRange[]; readonly late: WindowRange[] } {
  const open: WindowRange[] = [];
  const late: WindowRange[] = [];
  for (const range of windowRanges(spec, timestamp)) (isClosed(spec, range, streamTime) ? late : open).push(range);
  return { open, late };
}
