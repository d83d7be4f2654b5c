import { peerAddress } from './internal/peerAddress';

/**
 * A fixed-window counter of **failed** cancel attempts per key, for `handleCancel`'s `rateLimit`.
 *
 * - `hit(key)`: `0` when the key may try (the attempt is counted at once, so a burst of parallel
 *   guesses cannot all slip in before the first one fails), else the milliseconds until its window
 *   ends (not counted; `handleCancel` then still lets a right secret cancel, and answers any
 *   failure `429`).
 * - `refund(key)`: takes back one counted attempt; `handleCancel` calls it when the attempt did not
 *   fail (anything but `403`/`404`), so successful cancels never use up the limit.
 *
 * Memory is bounded: at most `maxKeys` keys are kept (the oldest window goes first when a new key
 * comes), expired windows are dropped lazily (no timers), and every call does constant work.
 * The state lives in this object, so create it once at module scope and pass the same object on
 * every call (or let `handleCancel` keep its default one per registry).
 */
export type RateLimiter = {
  /** Failed attempts allowed per key and window; past it, `handleCancel` answers every failure `429` (a right secret still cancels). */
  readonly max: number;
  /** The window length in milliseconds, from a key's first failure. */
  readonly windowMs: number;
  /** How `handleCancel` derives a request's key when its own options do not say. */
  readonly key?: ((request: Request) => string | null) | undefined;
  /** `0`: allowed, and counted. Otherwise the milliseconds until the key's window ends (not counted). */
  hit(key: string): number;
  /** Takes back one counted attempt of `key` (it did not fail). */
  refund(key: string): void;
  /** Forgets one key, or every key. */
  reset(key?: string): void;
  /** Keys currently tracked (expired ones may still be counted until touched). */
  size(): number;
};

export type RateLimiterOptions = {
  /** Failed attempts per key and window (default 30). */
  max?: number;
  /** Window length in milliseconds (default 60 000). */
  windowMs?: number;
  /** Most keys kept at once (default 10 000); the oldest window is evicted first. */
  maxKeys?: number;
  /** The request's key; `null` means the request is not limited. Default: see `defaultRateLimitKey`. */
  key?: (request: Request) => string | null;
  /**
   * How many proxies you run in front of the app that append the address they saw to
   * `x-forwarded-for` (`true` = 1). The limiter's `key` is then the entry that many places from
   * the right: the client's address as your outermost proxy saw it. Ignored when `key` is given.
   * See {@link TrustProxy}.
   *
   * @example
   * ```ts
   * // nginx in front (proxy_add_x_forwarded_for): the last entry is the client's address.
   * const limiter = createRateLimiter({ trustProxy: 1 });
   * ```
   */
  trustProxy?: TrustProxy;
  /** Clock, for tests (default `Date.now`). */
  now?: () => number;
};

/**
 * Which `x-forwarded-for` entries the app trusts: the number of proxies in front of it that each
 * append the address they received the request from (`true` = 1, `false` or `0` = none, the
 * default). The client's address is then the entry that many places from the right; everything to
 * its left was written by the client and is never used. With fewer entries than that (a request
 * that skipped a proxy), the leftmost one, which a trusted proxy wrote. Without the header, as
 * without `trustProxy` (see `defaultRateLimitKey`).
 *
 * Set it only to what is true of your deployment: one too many lets the client choose its key by
 * writing `x-forwarded-for` itself; one too few keys every client on a proxy's address (one budget
 * for all of them; a right secret still always cancels). Platforms that put the client's address
 * in their own header (`cf-connecting-ip` behind Cloudflare, `x-vercel-forwarded-for`, …) are
 * better served by `key`.
 *
 * @example
 * ```ts
 * handleCancel(request, { registry, rateLimit: { trustProxy: 2 } }); // a CDN, then a load balancer
 * ```
 */
export type TrustProxy = boolean | number;

/** `handleCancel`'s `rateLimit` as plain options: the limiter itself is kept per registry. */
export type CancelRateLimitOptions = {
  /** Failed attempts (`403`/`404`) per key and window before `429` (default 30). */
  max?: number;
  /** Window length in milliseconds (default 60 000). */
  windowMs?: number;
  /** The request's key, e.g. the platform's client address or a user id; `null`: not limited. Wins over `trustProxy`. */
  key?: (request: Request) => string | null;
  /**
   * How many proxies in front of the app append to `x-forwarded-for` (`true` = 1): the key is the
   * client address they saw (see {@link TrustProxy}). Default: none, so no client-written header
   * is ever a key; the key is then the socket's address under `toNodeHandler` when it is a public
   * one, else there is none (not limited). See `defaultRateLimitKey`.
   *
   * @example
   * ```ts
   * // Behind one reverse proxy (nginx, a load balancer) that appends the client's address:
   * handleCancel(request, { registry, rateLimit: { trustProxy: 1 } });
   * ```
   */
  trustProxy?: TrustProxy;
};

export const DEFAULT_RATE_LIMIT_MAX = 30;
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;
export const DEFAULT_RATE_LIMIT_MAX_KEYS = 10_000;

/** Expired windows dropped from the oldest end per call: constant work, still drains over time. */
const SWEEP_PER_CALL = 2;

type Entry = { count: number; resetAt: number };

function positiveInteger(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 1) throw new RangeError(`createRateLimiter: ${name} must be a number ≥ 1, not ${String(value)}.`);
  return Math.floor(value);
}

export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const max = positiveInteger(options.max ?? DEFAULT_RATE_LIMIT_MAX, 'max');
  const key = options.key ?? (options.trustProxy !== undefined ? rateLimitKeyFor(options.trustProxy) : undefined);
  const windowMs = positiveInteger(options.windowMs ?? DEFAULT_RATE_LIMIT_WINDOW_MS, 'windowMs');
  const maxKeys = positiveInteger(options.maxKeys ?? DEFAULT_RATE_LIMIT_MAX_KEYS, 'maxKeys');
  const now = options.now ?? Date.now;
  // Insertion order = window start order (a restarted window is re-inserted), so the first entry
  // always ends first: expiry and eviction both work from the front.
  const entries = new Map<string, Entry>();

  const sweep = (t: number) => {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      const first = entries.entries().next();
      if (first.done || first.value[1].resetAt > t) return;
      entries.delete(first.value[0]);
    }
  };

  return {
    max,
    windowMs,
    key,
    hit(key) {
      const t = now();
      sweep(t);
      const entry = entries.get(key);
      if (entry && entry.resetAt > t) {
        if (entry.count >= max) return entry.resetAt - t;
        entry.count++;
        return 0;
      }
      if (entry) entries.delete(key);
      while (entries.size >= maxKeys) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { count: 1, resetAt: t + windowMs });
      return 0;
    },
    refund(key) {
      const entry = entries.get(key);
      if (entry && entry.count > 0) entry.count--;
    },
    reset(key) {
      if (key === undefined) entries.clear();
      else entries.delete(key);
    },
    size: () => entries.size,
  };
}

/**
 * The default key, built only from what no client can write unless the app says it trusts it:
 * - with `trustProxy` (a number of proxies, `true` = 1): the `x-forwarded-for` entry that many
 *   places from the right, i.e. the address your outermost proxy saw (see {@link TrustProxy});
 * - otherwise, and when that header is absent: the TCP peer address of a request built by
 *   `toNodeHandler`, unless it is a loopback, private, link-local or CGNAT address (most likely
 *   your own reverse proxy, or a development machine: keying on it would put every client behind
 *   it in one budget, which one of them could use up with 30 failures a minute);
 * - else `null`: the request is not limited (a Next.js route handler, an Edge runtime, behind
 *   your own proxy without `trustProxy`: pass `key` with the platform's client address, or set
 *   `trustProxy`).
 *
 * Never the leftmost `x-forwarded-for` entry or `x-real-ip` by default: a client writes those, so it
 * could take a fresh key per request, or name another user's address to use up their budget.
 * Addresses are normalized: a port is dropped, an IPv4-mapped IPv6 address becomes IPv4, and an
 * IPv6 address is keyed by its /64 (what one subscriber is given: one host can use all of it).
 *
 * Changed after 0.1.0, which keyed on the leftmost `x-forwarded-for` entry, else `x-real-ip`.
 *
 * @example
 * ```ts
 * // One budget per signed-in user, else the default (here behind one proxy).
 * handleCancel(request, {
 *   registry,
 *   rateLimit: { key: (req) => userIdOf(req) ?? defaultRateLimitKey(req, 1) },
 * });
 * ```
 */
export function defaultRateLimitKey(request: Request, trustProxy: TrustProxy = false): string | null {
  const hops = trustedHops(trustProxy);
  if (hops > 0) {
    const entries = (request.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length > 0) return parseAddress(entries[Math.max(0, entries.length - hops)]!).key;
  }
  const peer = peerAddress(request);
  if (peer === null) return null;
  const { key, local } = parseAddress(peer);
  // A local peer is most likely your own proxy (or a dev machine): keying on it would give every
  // client behind it one budget, which one of them could use up with `max` failures a window.
  return local ? null : key;
}

/** A key function for `trustProxy` (validated now, so a bad value fails where it is configured). */
export function rateLimitKeyFor(trustProxy: TrustProxy): (request: Request) => string | null {
  trustedHops(trustProxy);
  return (request) => defaultRateLimitKey(request, trustProxy);
}

function trustedHops(trustProxy: TrustProxy): number {
  if (trustProxy === true) return 1;
  if (trustProxy === false) return 0;
  if (typeof trustProxy !== 'number' || !Number.isInteger(trustProxy) || trustProxy < 0) {
    throw new RangeError(`rateLimit.trustProxy must be true, false or a whole number of proxies ≥ 0, not ${String(trustProxy)}.`);
  }
  return trustProxy;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * A key for an address: port dropped, IPv4-mapped IPv6 as IPv4, other IPv6 as its /64.
 * `local`: a loopback, private, link-local or shared (CGNAT) address, i.e. not a client on the
 * internet but most likely a proxy, a sidecar or a development machine.
 */
function parseAddress(raw: string): { key: string; local: boolean } {
  let address = raw.trim().toLowerCase().slice(0, 256);
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (IPV4.test(address)) return { key: address, local: isLocalIpv4(address.split('.').map(Number)) };
  const groups = address.includes(':') ? ipv6Groups(address.replace(/%.*$/, '')) : null;
  if (!groups) return { key: address, local: false }; // not an address we can read: kept as it is
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const octets = [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255];
    return { key: octets.join('.'), local: isLocalIpv4(octets) };
  }
  const first = groups[0]!;
  const loopback = groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1;
  // fc00::/7 unique local, fe80::/10 link-local.
  const local = loopback || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
  const prefix = groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':');
  return { key: `${prefix}::/64`, local };
}

/** 127/8, 10/8, 172.16/12, 192.168/16, 169.254/16 and 100.64/10 (carrier-grade NAT). */
function isLocalIpv4([a, b]: number[]): boolean {
  return a === 127 || a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b! >= 64 && b! <= 127);
}

/** The eight 16-bit groups of an IPv6 address (`::` and a dotted IPv4 tail expanded), or `null`. */
function ipv6Groups(address: string): number[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && IPV4.test(piece)) {
        const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
        if (a > 255 || b > 255 || c > 255 || d > 255) return null;
        groups.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) groups.push(parseInt(piece, 16));
      else return null;
    }
    return groups;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const zeros = 8 - head.length - tail.length;
  return zeros >= 1 ? [...head, ...new Array<number>(zeros).fill(0), ...tail] : null;
}
