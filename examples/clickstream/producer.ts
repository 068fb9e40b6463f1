/**
 * Realistic, deterministic traffic for the demo: a seeded PRNG (mulberry32), so every run sends
 * the same clicks and orders. Page popularity is skewed (a few pages get most views), some users
 * are bots, a visit's clicks share a session id, shoppers click around before they order.
 */
import { Decimal } from '../../src/avro/index.js';
import { Address, Click, LineItem, Order } from '../../generated/index.js';
import type { Device, OrderStatus } from '../../generated/index.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PAGES = ['/', '/search', '/cart', '/checkout', '/account', '/deals', '/help'];
const CATEGORIES = ['shoes', 'jackets', 'hats', 'bags', 'watches', 'socks'];
const CITIES: [string, string][] = [['Lyon', 'FR'], ['Berlin', 'DE'], ['Porto', 'PT'], ['Austin', 'US'], ['Osaka', 'JP']];
const REFERRERS = [null, null, 'https://search.example/', 'https://social.example/', 'https://news.example/'];

export interface Traffic {
  readonly clicks: { key: string; value: Click }[];
  readonly orders: { key: string; value: Order }[];
}

/** What `npm start` generates (besides the click count, DEMO_CLICKS). */
export const demoTraffic = { seed: 20261122, users: 2_000, start: Date.UTC(2026, 10, 22, 8, 0, 0) } as const;

export function generateTraffic(options: { seed: number; clicks: number; users: number; start: number }): Traffic {
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Zipf-like skew: page i is chosen with weight 1/(i+1).
  const products = CATEGORIES.flatMap((c) => Array.from({ length: 20 }, (_, i) => `/p/${c}/${i + 1}`));
  const urls = [...PAGES, ...products];
  const weights = urls.map((_, i) => 1 / (i + 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pickUrl = () => {
    let r = random() * totalWeight;
    for (let i = 0; i < urls.length; i++) if ((r -= weights[i]!) <= 0) return urls[i]!;
    return urls[urls.length - 1]!;
  };
  // A random (version 4) UUID from the seeded PRNG: `digits` hex digits at a time (at most 6,
  // since each draw has 32 bits), not one regex callback per digit.
  const hex = (digits: number) => Math.floor(random() * 16 ** digits).toString(16).padStart(digits, '0');
  const uuid = () => `${hex(6)}${hex(2)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-${hex(6)}${hex(6)}`;
  const users = Array.from({ length: options.users }, (_, i) => ({
    id: `user-${String(i + 1).padStart(4, '0')}`,
    bot: random() < 0.05,
    device: pick<Device>(['DESKTOP', 'MOBILE', 'MOBILE', 'TABLET']),
    session: '',
  }));

  const clicks: Traffic['clicks'] = [];
  const orders: Traffic['orders'] = [];
  let now = options.start;
  for (let i = 0; i < options.clicks; i++) {
    const user = pick(users);
    // A visit lasts about 15 clicks; its clicks share a session id.
    if (user.session === '' || random() < 1 / 15) user.session = uuid();
    now += Math.floor(random() * 20);
    const url = `https://shop.example${pickUrl()}`;
    clicks.push({
      key: user.id,
      value: new Click({
        url,
        userId: user.id,
        sessionId: user.session,
        timestamp: new Date(now),
        referrer: pick(REFERRERS),
        device: user.bot ? 'BOT' : user.device,
        durationMs: Math.floor(random() * 60_000),
      }),
    });
    // Roughly one checkout click in three becomes an order.
    if (!user.bot && url.endsWith('/checkout') && random() < 0.35) {
      const items = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const cents = 499 + Math.floor(random() * 20_000);
        return new LineItem({ sku: `SKU-${pick(CATEGORIES).toUpperCase()}-${Math.floor(random() * 900) + 100}`, quantity: 1 + Math.floor(random() * 3), unitPrice: new Decimal(cents).div(100) });
      });
      const total = items.reduce((sum, item) => sum.plus(item.unitPrice.times(item.quantity)), new Decimal(0));
      const [city, country] = pick(CITIES);
      orders.push({
        key: user.id,
        value: new Order({
          orderId: `order-${String(orders.length + 1).padStart(5, '0')}`,
          customerId: user.id,
          items,
          total,
          currency: Buffer.from('EUR'),
          status: pick<OrderStatus>(['PAID', 'PAID', 'PAID', 'PENDING', 'SHIPPED', 'CANCELLED']),
          coupon: random() < 0.1 ? 'WELCOME10' : null,
          shippingAddress: new Address({ street: `${1 + Math.floor(random() * 200)} Main Street`, city, postalCode: String(10000 + Math.floor(random() * 89999)), country }),
          createdAt: new Date(now),
        }),
      });
    }
  }
  return { clicks, orders };
}
