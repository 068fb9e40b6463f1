import avro from 'avsc';
import type { AvroSchemaJSON } from '../../src/serde/codec.js';

/**
 * Deterministic click events for the benchmarks on a real broker: the same seed gives the same
 * events, and `ClickStats` tells what any correct consumer of them must compute (how many are not
 * bots, the durations they add up to, the count per url).
 */

/** Device symbols of `com.acme.clicks.Device`, with the share of events each gets. */
const devices = [
  ['DESKTOP', 0.5],
  ['MOBILE', 0.35],
  ['TABLET', 0.05],
  ['BOT', 0.1],
] as const;

export type Device = (typeof devices)[number][0];

/** A click as plain data, in the shape the Avro schema writes (timestamp as epoch millis). */
export interface ClickData {
  url: string;
  userId: string;
  sessionId: string;
  timestamp: number;
  referrer: string | null;
  device: Device;
  durationMs: number;
}

export interface ClickSpec {
  /** How many events. */
  readonly count: number;
  /** How many distinct urls; each occurs at least once when `count >= distinctUrls`. */
  readonly distinctUrls: number;
  readonly seed?: number;
  /** Epoch millis of the first event; later events are 1 ms apart. */
  readonly startMs?: number;
}

export interface ClickStats {
  readonly events: number;
  /** Events whose device is not BOT (what the stateless workload keeps). */
  readonly kept: number;
  /** Sum of `durationMs` over the kept events. */
  readonly keptDurationMs: number;
  /** Events per url. */
  readonly countsByUrl: ReadonlyMap<string, number>;
}

export function urlOf(index: number): string {
  return `https://shop.example.com/products/${index}`;
}

const referrers = ['https://www.google.com/', 'https://news.example.org/', 'https://social.example.net/feed'];

/** mulberry32: a small, fast, seeded PRNG (statistical quality is ample for test data). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Yields the events of a spec in order. The first `distinctUrls` events visit every url once (in
 * a shuffled order); after that urls are skewed towards popular ones, as real traffic is.
 */
export function* generateClicks(spec: ClickSpec): Generator<ClickData> {
  const random = prng(spec.seed ?? 7);
  const startMs = spec.startMs ?? Date.UTC(2026, 0, 1);
  const order = Array.from({ length: spec.distinctUrls }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 0; i < spec.count; i++) {
    const r = random();
    const urlIndex = i < order.length ? order[i]! : Math.floor(spec.distinctUrls * r * r);
    const d = random();
    let device: Device = 'BOT';
    let acc = 0;
    for (const [symbol, share] of devices) {
      acc += share;
      if (d < acc) {
        device = symbol;
        break;
      }
    }
    yield {
      url: urlOf(urlIndex),
      userId: `user-${Math.floor(random() * 50_000)}`,
      sessionId: uuidFrom(random),
      timestamp: startMs + i,
      referrer: random() < 0.4 ? null : referrers[Math.floor(random() * referrers.length)]!,
      device,
      durationMs: Math.floor(random() * 60_000),
    };
  }
}

/** What a correct consumer computes from `generateClicks(spec)`. */
export function clickStats(spec: ClickSpec): ClickStats {
  const countsByUrl = new Map<string, number>();
  let kept = 0;
  let keptDurationMs = 0;
  for (const click of generateClicks(spec)) {
    countsByUrl.set(click.url, (countsByUrl.get(click.url) ?? 0) + 1);
    if (click.device !== 'BOT') {
      kept++;
      keptDurationMs += click.durationMs;
    }
  }
  return { events: spec.count, kept, keptDurationMs, countsByUrl };
}

/** Writes Avro bodies of clicks with the given writer schema (timestamps as plain longs). */
export function clickWriter(schema: AvroSchemaJSON): (click: ClickData) => Buffer {
  const type = avro.Type.forSchema(schema as avro.Schema);
  return (click) => type.toBuffer(click);
}

/** Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian int, the Avro body. */
export function confluentFrame(schemaId: number, body: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(5 + body.length);
  framed[0] = 0;
  framed.writeUInt32BE(schemaId, 1);
  body.copy(framed, 5);
  return framed;
}
