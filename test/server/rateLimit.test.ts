import { afterEach, describe, expect, it } from 'vitest';
import { handleCancel, type HandleCancelOptions } from '../../src/server/handleCancel';
import { createRateLimiter, defaultRateLimitKey } from '../../src/server/createRateLimiter';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../../src/server/createStreamRegistry';
import { hashSecret } from '../../src/server/internal/validation';
import type { CancelReport } from '../../src/server/types';

const REPORT: CancelReport = { usage: { inputTokens: 1, outputTokens: 2 }, usageEstimated: false };
const SECRET = 's'.repeat(32);
const WRONG = 'w'.repeat(32);

const registries: InMemoryStreamRegistry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

function newRegistry() {
  const registry = createStreamRegistry();
  registries.push(registry);
  return registry;
}

let nextId = 0;
async function live(registry: InMemoryStreamRegistry, secret = SECRET) {
  const streamId = `stream-${nextId++}`;
  const registration = await registry.register(streamId, await hashSecret(secret), () => REPORT);
  expect(typeof registration).toBe('object');
  return streamId;
}

function cancelRequest(streamId: string, secret: string | null, headers: Record<string, string> = {}) {
  return new Request('http://app.test/api/chat/cancel', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-stream-cancel-secret': secret } : {}), ...headers },
    body: JSON.stringify({ streamId }),
  });
}

/** The client at `ip`, through two proxies we run (a CDN that appended `ip`, a load balancer that appended the CDN's address). */
const from = (ip: string) => ({ 'x-forwarded-for': `${ip}, 10.0.0.1` });
/** The key those two proxies make trustworthy: the second `x-forwarded-for` entry from the right. */
const PROXIES = { trustProxy: 2 } as const;

/** Without headers of its own, a request comes from one client address (a request with no key is not limited). */
async function cancel(options: HandleCancelOptions, streamId: string, secret: string | null, headers: Record<string, string> = from('198.51.100.7')) {
  return handleCancel(cancelRequest(streamId, secret, headers), options);
}

describe('handleCancel: rate limit on failed attempts', () => {
  it('is on by default: 30 wrong secrets, then 429 with Retry-After for every failure; the right secret still cancels', async () => {
    const registry = newRegistry();
    const streamId = await live(registry);
    const options = { registry, rateLimit: PROXIES }; // the default 30 per minute, keyed on the client address
    for (let i = 0; i < 30; i++) expect((await cancel(options, streamId, WRONG, from('1.2.3.4'))).status).toBe(403);
    const limited = await cancel(options, streamId, WRONG, from('1.2.3.4'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await limited.json()).error).toMatch(/Too many failed cancel attempts/);
    // A right secret is never refused because of failures (the key may be shared by honest users);
    // guessing one is pointless anyway (256 bits), and every wrong guess now answers 429.
    expect((await cancel(options, streamId, SECRET, from('1.2.3.4'))).status).toBe(200);
    expect(registry.counts().streams).toBe(0);
  });

  it('a correct cancel from the same key works while under the limit; successful cancels are not counted', async () => {
    const registry = newRegistry();
    const rateLimit = createRateLimiter({ max: 3, windowMs: 60_000, ...PROXIES });
    const options = { registry, rateLimit };
    const target = await live(registry);
    for (let i = 0; i < 2; i++) expect((await cancel(options, target, WRONG, from('5.5.5.5'))).status).toBe(403);
    const ok = await cancel(options, target, SECRET, from('5.5.5.5'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'cancelled', ...REPORT });
    // Many legitimate stops (200 cancelled / already-finished) never use up the limit.
    for (let i = 0; i < 10; i++) {
      const streamId = await live(registry);
      expect((await cancel(options, streamId, SECRET, from('5.5.5.5'))).status).toBe(200);
      expect((await cancel(options, streamId, SECRET, from('5.5.5.5'))).status).toBe(200); // already-finished
    }
    // Still one failure left before the limit (2 of 3 used).
    expect((await cancel(options, target, WRONG, from('5.5.5.5'))).status).toBe(403);
    expect((await cancel(options, target, WRONG, from('5.5.5.5'))).status).toBe(429);
  });

  it('counts 404s (unknown ids) and missing secrets as failures, but not malformed requests (400)', async () => {
    const registry = newRegistry();
    const options = { registry, rateLimit: { max: 2, ...PROXIES } };
    expect((await cancel(options, 'never-started', SECRET)).status).toBe(404); // a tombstone: pending
    expect((await cancel(options, 'never-started-2', null)).status).toBe(403);
    const bad = await handleCancel(
      new Request('http://app.test/cancel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streamId": 1}' }),
      options,
    );
    expect(bad.status).toBe(400);
    expect((await cancel(options, 'never-started-3', SECRET)).status).toBe(429); // and no tombstone
    expect(registry.counts().tombstones).toBe(1);
  });

  it('windows expire (injectable clock)', async () => {
    let now = 1_000_000;
    const registry = newRegistry();
    const rateLimit = createRateLimiter({ max: 2, windowMs: 10_000, now: () => now, ...PROXIES });
    const options = { registry, rateLimit };
    const streamId = await live(registry);
    for (let i = 0; i < 2; i++) expect((await cancel(options, streamId, WRONG)).status).toBe(403);
    now += 4_200;
    const limited = await cancel(options, streamId, WRONG);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('6'); // 5.8 s left, rounded up
    now += 5_800; // the window (from the first failure) is over
    expect((await cancel(options, streamId, WRONG)).status).toBe(403);
    expect((await cancel(options, streamId, SECRET)).status).toBe(200);
  });

  it('rateLimit: false turns it off', async () => {
    const registry = newRegistry();
    const streamId = await live(registry);
    for (let i = 0; i < 40; i++) expect((await cancel({ registry, rateLimit: false }, streamId, WRONG)).status).toBe(403);
    expect((await cancel({ registry, rateLimit: false }, streamId, SECRET)).status).toBe(200);
  });

  it('different keys are independent (trusted x-forwarded-for entry, custom key); no key is not limited', async () => {
    const registry = newRegistry();
    const streamId = await live(registry);
    const options = { registry, rateLimit: { max: 1, ...PROXIES } };
    expect((await cancel(options, streamId, WRONG, from('1.1.1.1'))).status).toBe(403);
    expect((await cancel(options, streamId, WRONG, from('1.1.1.1'))).status).toBe(429);
    expect((await cancel(options, streamId, WRONG, from('2.2.2.2'))).status).toBe(403);
    // x-real-ip is client-written unless the app says otherwise (with `key`): not a key.
    for (let i = 0; i < 3; i++) expect((await cancel(options, streamId, WRONG, { 'x-real-ip': '3.3.3.3' })).status).toBe(403);
    // No address at all: not limited (a shared budget would let one client block everyone's Stop).
    for (let i = 0; i < 5; i++) expect((await cancel(options, streamId, WRONG, {})).status).toBe(403);
    // A custom key (here a header standing in for the platform's client address).
    const byUser = { registry, rateLimit: { max: 1, key: (request: Request) => request.headers.get('x-user') } };
    expect((await cancel(byUser, streamId, WRONG, { 'x-user': 'alice' })).status).toBe(403);
    expect((await cancel(byUser, streamId, WRONG, { 'x-user': 'alice' })).status).toBe(429);
    expect((await cancel(byUser, streamId, SECRET, { 'x-user': 'bob' })).status).toBe(200);
  });

  it('the default limiter lives per registry, so per-call options objects do not reset it', async () => {
    const a = newRegistry();
    const b = newRegistry();
    const streamId = await live(a);
    for (let i = 0; i < 3; i++) expect((await cancel({ registry: a, rateLimit: { max: 3, ...PROXIES } }, streamId, WRONG)).status).toBe(403);
    expect((await cancel({ registry: a, rateLimit: { max: 3, ...PROXIES } }, streamId, WRONG)).status).toBe(429);
    expect((await cancel({ registry: b, rateLimit: { max: 3, ...PROXIES } }, streamId, WRONG)).status).toBe(404);
  });

  it('a burst of parallel guesses cannot slip past the limit', async () => {
    const registry = newRegistry();
    const streamId = await live(registry);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => cancel({ registry, rateLimit: { max: 5, ...PROXIES } }, streamId, WRONG).then((res) => res.status)));
    expect(statuses.filter((status) => status === 403)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  it('a key function that throws answers 500 and cancels nothing', async () => {
    const registry = newRegistry();
    const streamId = await live(registry);
    const res = await cancel({ registry, rateLimit: { key: () => { throw new Error('no ip'); } } }, streamId, SECRET);
    expect(res.status).toBe(500);
    expect(registry.counts().streams).toBe(1);
  });
});

describe('createRateLimiter', () => {
  it('keeps at most maxKeys keys, evicting the oldest window first', () => {
    let now = 0;
    const limiter = createRateLimiter({ max: 1, windowMs: 1_000, maxKeys: 3, now: () => now });
    for (const key of ['a', 'b', 'c']) expect(limiter.hit(key)).toBe(0);
    expect(limiter.hit('a')).toBe(1_000);
    for (let i = 0; i < 1_000; i++) limiter.hit(`flood-${i}`);
    expect(limiter.size()).toBe(3);
    expect(limiter.hit('a')).toBe(0); // evicted: counted afresh
  });

  it('drops expired windows lazily, without timers', () => {
    let now = 0;
    const limiter = createRateLimiter({ max: 1, windowMs: 1_000, now: () => now });
    for (let i = 0; i < 4; i++) limiter.hit(`k${i}`);
    expect(limiter.size()).toBe(4);
    now = 1_000;
    limiter.hit('x');
    limiter.hit('y');
    expect(limiter.size()).toBe(2);
    expect(limiter.hit('k0')).toBe(0);
  });

  it('refund takes back one attempt; reset forgets', () => {
    const limiter = createRateLimiter({ max: 1, now: () => 0 });
    expect(limiter.hit('k')).toBe(0);
    limiter.refund('k');
    expect(limiter.hit('k')).toBe(0);
    expect(limiter.hit('k')).toBe(60_000);
    limiter.reset('k');
    expect(limiter.hit('k')).toBe(0);
    limiter.reset();
    expect(limiter.size()).toBe(0);
  });

  it('rejects nonsense options', () => {
    expect(() => createRateLimiter({ max: 0 })).toThrow(RangeError);
    expect(() => createRateLimiter({ windowMs: Number.NaN })).toThrow(RangeError);
  });

  it('defaultRateLimitKey: no client-written header without trustProxy; with it, the entry that many from the right (more in cancelRateLimitKey.test.ts)', () => {
    const req = (headers: Record<string, string>) => new Request('http://x/', { headers });
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': ' 9.9.9.9 , 10.0.0.1', 'x-real-ip': '8.8.8.8' }))).toBeNull();
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': ' 9.9.9.9 , 10.0.0.1', 'x-real-ip': '8.8.8.8' }), 2)).toBe('9.9.9.9');
    expect(defaultRateLimitKey(req({ 'x-real-ip': '8.8.8.8' }), 1)).toBeNull();
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': '' }), 1)).toBeNull();
    expect(defaultRateLimitKey(req({}))).toBeNull();
  });
});
