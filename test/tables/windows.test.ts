import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../src/errors.js';
import {
  assignWindows,
  closesAt,
  hopping,
  isClosed,
  sliding,
  tumbling,
  windowAt,
  windowOf,
  windowRanges,
  type WindowSpec,
} from '../../src/tables/windows.js';

// Oracles computed by hand: [name, { spec, timestamp, want: [start, end) pairs }]
const rangeCases: Array<[string, { spec: WindowSpec; timestamp: number; want: Array<[number, number]> }]> = [
  ['tumbling at a window start', { spec: tumbling(10), timestamp: 20, want: [[20, 30]] }],
  ['tumbling inside a window', { spec: tumbling(10), timestamp: 29, want: [[20, 30]] }],
  ['tumbling at zero', { spec: tumbling(10), timestamp: 0, want: [[0, 10]] }],
  ['tumbling before the epoch', { spec: tumbling(10), timestamp: -1, want: [[-10, 0]] }],
  ['hopping 10/5 inside', { spec: hopping(10, 5), timestamp: 12, want: [[5, 15], [10, 20]] }],
  ['hopping 10/5 on a step', { spec: hopping(10, 5), timestamp: 15, want: [[10, 20], [15, 25]] }],
  ['hopping 10/3 uneven', { spec: hopping(10, 3), timestamp: 10, want: [[3, 13], [6, 16], [9, 19]] }],
  ['hopping 60/20 at 59', { spec: hopping(60, 20), timestamp: 59, want: [[0, 60], [20, 80], [40, 100]] }],
  ['hopping with step = size is tumbling', { spec: hopping(10, 10), timestamp: 37, want: [[30, 40]] }],
  ['sliding 5 before, 2 after', { spec: sliding(5, 2), timestamp: 100, want: [[95, 103]] }],
  ['sliding 0/0 is one instant', { spec: sliding(0, 0), timestamp: 7, want: [[7, 8]] }],
];

describe('windowRanges', () => {
  it.each(rangeCases)('%s', (_name, { spec, timestamp, want }) => {
    expect(windowRanges(spec, timestamp).map((r) => [r.start, r.end])).toEqual(want);
    for (const range of windowRanges(spec, timestamp)) {
      expect(range.start <= timestamp && timestamp < range.end).toBe(true);
      expect(windowOf(spec, range.start)).toEqual(range);
    }
  });

  it('agrees with a brute-force search of every hopping window on the grid', () => {
    for (const [size, step] of [[10, 5], [10, 3], [7, 7], [12, 1]] as const) {
      const spec = hopping(size, step);
      for (let t = -30; t <= 30; t++) {
        const brute: Array<[number, number]> = [];
        for (let start = -Math.ceil(60 / step) * step; start <= 60; start += step) if (start <= t && t < start + size) brute.push([start, start + size]);
        expect(windowRanges(spec, t).map((r) => [r.start, r.end])).toEqual(brute);
      }
    }
  });
});

describe('windowAt', () => {
  it.each([
    ['tumbling', tumbling(10), 25, [20, 30]],
    ['hopping: the latest window holding the time', hopping(10, 5), 12, [10, 20]],
    ['sliding: the event window', sliding(3, 3), 10, [7, 14]],
  ] as const)('%s', (_name, spec, timestamp, [start, end]) => {
    expect(windowAt(spec, timestamp)).toEqual({ start, end });
  });
});

describe('closing and lateness', () => {
  it.each([
    // [spec, window start, stream time, closed?]
    [tumbling(10, 0), 0, 9, false],
    [tumbling(10, 0), 0, 10, true],
    [tumbling(10, 5), 0, 14, false],
    [tumbling(10, 5), 0, 15, true],
    [hopping(10, 5, 2), 5, 16, false],
    [hopping(10, 5, 2), 5, 17, true],
  ] as const)('%j starting at %d, stream time %d: closed=%s', (spec, start, streamTime, closed) => {
    expect(isClosed(spec, windowOf(spec, start), streamTime)).toBe(closed);
    expect(closesAt(spec, windowOf(spec, start))).toBe(windowOf(spec, start).end + spec.expires);
  });

  it('splits an out-of-order event into the windows it still counts in and those it is late for', () => {
    const spec = hopping(10, 5, 3);
    // stream time 21: [5,15) closed at 18, [10,20) closes at 23 so is open.
    const { open, late } = assignWindows(spec, 12, 21);
    expect(open).toEqual([{ start: 10, end: 20 }]);
    expect(late).toEqual([{ start: 5, end: 15 }]);
    expect(assignWindows(spec, 12, 30).open).toEqual([]);
    expect(assignWindows(tumbling(10), 12, 12)).toEqual({ open: [{ start: 10, end: 20 }], late: [] });
  });
});

describe('settings', () => {
  it.each([
    ['zero size', () => tumbling(0), /tumbling size: must be a positive integer/],
    ['fractional size', () => tumbling(1.5), /tumbling size/],
    ['negative expires', () => tumbling(10, -1), /expires: must be a non-negative integer/],
    ['step above size', () => hopping(10, 20), /hopping step: 20 is larger than the window size 10/],
  ] as const)('rejects %s', (_name, make, message) => {
    expect(make).toThrow(message);
    try {
      make();
    } catch (error) {
      expect(isConfigError(error)).toBe(true);
    }
  });
});
