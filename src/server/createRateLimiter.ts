/**
 * A fixed-window counter of **failed** cancel attempts per key, for `handleCancel`'s `rateLimit`.
 *
 * - `hit(key)`: `0` when the key may try (the attempt is counted at once, so a burst of parallel
 *   guesses cannot all slip in before the first one fails), else the milliseconds until its window
 *   ends (the attempt is refused and not counted).
 * - `refund(key)`: takes back one counted attempt; `handleCancel` calls it when the attempt did not
 *   fail (anything but `403`/`404`), so successful cancels never use up the limit.
 *
 * Memory is bounded: at most `maxKeys` keys are kept (the oldest window goes first when a new key
 * comes), expired windows are dropped lazily (no timers), and every call does constant work.
 * The state lives in this object, so create it once at module scope and pass the same object on
 * every call (or let `handleCancel` keep its default one per registry).
 */
export type RateLimiter = {
  /** Failed attempts allowed per key and window; the next attempt in that window answers `429`. */
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
  /** Clock, for tests (default `Date.now`). */
  now?: () => number;
};

/** `handleCancel`'s `rateLimit` as plain options: the limiter itself is kept per registry. */
export type CancelRateLimitOptions = {
  /** Failed attempts (`403`/`404`) per key and window before `429` (default 30). */
  max?: number;
  /** Window length in milliseconds (default 60 000). */
  windowMs?: number;
  /** The request's key, e.g. the platform's client address; `null`: not limited. */
  key?: (request: Request) => string | null;
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
    key: options.key,
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
 * The default key: the first address in `x-forwarded-for`, else `x-real-ip`, else `null` (the
 * request is not limited). These headers are only as trustworthy as the proxy in front: a client
 * that reaches the app directly, or through a proxy that appends rather than replaces, can send
 * any value and get a fresh key per request. Pass `key` with your platform's client address.
 */
export function defaultRateLimitKey(request: Request): string | null {
  const forwarded = request.headers.get('x-forwarded-for');
  const first = forwarded?.split(',', 1)[0]!.trim();
  if (first) return first.slice(0, 256);
  const realIp = request.headers.get('x-real-ip')?.trim();
  return realIp ? realIp.slice(0, 256) : null;
}
