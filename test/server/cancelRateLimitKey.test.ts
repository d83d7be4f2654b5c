import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, defaultRateLimitKey } from '../../src/server/createRateLimiter';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel, type HandleCancelOptions } from '../../src/server/handleCancel';
import { hashSecret } from '../../src/server/internal/validation';
import type { CancelReport } from '../../src/server/types';
import { startServer, type TestServer } from './helpers/http';

/**
 * A real node:http server serving `/cancel` through toNodeHandler, where each socket's
 * `remoteAddress` is made to read as the request's `x-test-peer` header: a stand-in for clients on
 * other addresses (every test client is on 127.0.0.1). `setPeer = false` leaves the real one.
 */
async function startWithPeer(handler: (request: Request) => Promise<Response>): Promise<TestServer & { setPeer: boolean }> {
  const started = Object.assign(await startServer({ '/cancel': handler }), { setPeer: true });
  const listeners = started.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  started.server.removeAllListeners('request');
  started.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const peer = req.headers['x-test-peer'];
    if (started.setPeer && typeof peer === 'string') Object.defineProperty(req.socket, 'remoteAddress', { value: peer, configurable: true });
    for (const listener of listeners) listener(req, res);
  });
  return started;
}

// Issue point 4, "Nobody can block another user's Stop": the rate limit key comes only from what
// the app says it trusts (never a client-written header by default), and a cancel with the right
// secret is never refused because of other clients' failures.

const REPORT: CancelReport = { usage: { inputTokens: 1, outputTokens: 2 }, usageEstimated: false };
const SECRET = 's'.repeat(32);
const WRONG = 'w'.repeat(32);
const VICTIM = '203.0.113.50';

const registries: InMemoryStreamRegistry[] = [];
let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

function newRegistry() {
  const registry = createStreamRegistry();
  registries.push(registry);
  return registry;
}

let nextId = 0;
async function live(registry: InMemoryStreamRegistry, secret = SECRET) {
  const streamId = `key-stream-${nextId++}`;
  const registration = await registry.register(streamId, await hashSecret(secret), () => REPORT);
  expect(typeof registration).toBe('object');
  return streamId;
}

const init = (streamId: string, secret: string | null, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-stream-cancel-secret': secret } : {}), ...headers },
  body: JSON.stringify({ streamId }),
});

const cancel = (options: HandleCancelOptions, streamId: string, secret: string | null, headers: Record<string, string> = {}) =>
  handleCancel(new Request('http://app.test/api/chat/cancel', init(streamId, secret, headers)), options);

const req = (headers: Record<string, string>) => new Request('http://app.test/', { headers });

describe("nobody can block another user's Stop", () => {
  it("31 wrong-secret cancels naming the victim's address in x-forwarded-for do not make the victim's own cancel 429 (default options)", async () => {
    const registry = newRegistry();
    const streamId = await live(registry);
    for (let i = 0; i < 31; i++) {
      const res = await cancel({ registry }, streamId, WRONG, { 'x-forwarded-for': VICTIM });
      expect(res.status).toBe(403);
    }
    const res = await cancel({ registry }, streamId, SECRET, { 'x-forwarded-for': VICTIM });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'cancelled', ...REPORT });
  });

  it('a key over its limit can still cancel a stream it holds the secret of; its failures answer 429 (no 403/404 oracle) and leave no tombstone', async () => {
    const registry = newRegistry();
    // One key for everyone: honest users behind one shared proxy address, and an attacker among them.
    const options: HandleCancelOptions = { registry, rateLimit: { max: 3, key: () => 'shared-proxy' } };
    const target = await live(registry);
    for (let i = 0; i < 3; i++) expect((await cancel(options, target, WRONG)).status).toBe(403);
    // Over the limit: every failure looks the same.
    const wrong = await cancel(options, target, WRONG);
    expect(wrong.status).toBe(429);
    expect(Number(wrong.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect((await wrong.json()).error).toMatch(/Too many failed cancel attempts/);
    expect((await cancel(options, target, null)).status).toBe(429); // missing secret
    expect((await cancel(options, 'made-up-id', SECRET)).status).toBe(429); // unknown id: not 404, not "pending"
    expect(registry.counts().tombstones).toBe(0); // and no tombstone was left for it
    expect((await cancel({ ...options, authorize: () => false }, target, SECRET)).status).toBe(429);
    // The right secret still stops the stream, with its usage, and a second Stop says already-finished.
    const ok = await cancel(options, target, SECRET);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'cancelled', ...REPORT });
    expect(registry.counts().streams).toBe(0);
    const again = await cancel(options, target, SECRET);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'already-finished' });
    // A stream stopped by a disconnect: the first late cancel still learns it was stopped.
    const stopped = await registry.register('stopped-by-disconnect', await hashSecret(SECRET), () => null);
    if (typeof stopped !== 'object') throw new Error('registration failed');
    stopped.finish(REPORT);
    expect(await (await cancel(options, 'stopped-by-disconnect', SECRET)).json()).toEqual({ status: 'cancelled', ...REPORT });
  });

  it('a limiter from createRateLimiter behaves the same (right secret over the limit cancels)', async () => {
    const registry = newRegistry();
    const rateLimit = createRateLimiter({ max: 1, key: () => 'k' });
    const target = await live(registry);
    expect((await cancel({ registry, rateLimit }, target, WRONG)).status).toBe(403);
    expect((await cancel({ registry, rateLimit }, target, WRONG)).status).toBe(429);
    expect((await cancel({ registry, rateLimit }, target, SECRET)).status).toBe(200);
  });

  it('through toNodeHandler the default key is the TCP peer address: a fresh x-forwarded-for per request is still limited', async () => {
    const registry = newRegistry();
    const target = await live(registry);
    server = await startWithPeer((request) => handleCancel(request, { registry, rateLimit: { max: 5 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${server.url}/cancel`, init(target, WRONG, { 'x-test-peer': '198.51.100.20', 'x-forwarded-for': `198.51.100.${i}` }));
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429, 429]);
    // Another client (another socket address) has its own budget.
    expect((await fetch(`${server.url}/cancel`, init(target, WRONG, { 'x-test-peer': '2001:db8:9::1' }))).status).toBe(403);
    // Same peer, right secret: cancelled.
    const ok = await fetch(`${server.url}/cancel`, init(target, SECRET, { 'x-test-peer': '198.51.100.20', 'x-forwarded-for': VICTIM }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'cancelled', ...REPORT });
  });

  it('a loopback or private peer (your own reverse proxy, a dev machine) is not a key: one budget for everyone behind it would be one client away from spent', async () => {
    const registry = newRegistry();
    const target = await live(registry);
    const peerServer = await startWithPeer((request) => handleCancel(request, { registry, rateLimit: { max: 1 } }));
    server = peerServer;
    for (const peer of ['127.0.0.1', '::1', '::ffff:10.1.2.3', '192.168.0.4', 'fd00::7']) {
      for (let i = 0; i < 3; i++) expect((await fetch(`${peerServer.url}/cancel`, init(target, WRONG, { 'x-test-peer': peer }))).status).toBe(403);
    }
    // Really through 127.0.0.1, no stand-in: not limited either.
    peerServer.setPeer = false;
    for (let i = 0; i < 3; i++) expect((await fetch(`${peerServer.url}/cancel`, init(target, WRONG))).status).toBe(403);
  });

  it('trustProxy: n takes the address n entries from the right of x-forwarded-for; the client cannot escape by writing more entries', async () => {
    const registry = newRegistry();
    const target = await live(registry);
    const options: HandleCancelOptions = { registry, rateLimit: { max: 2, trustProxy: 1 } };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      // The client wrote the left part (a new value each time); our one proxy appended the address it saw.
      statuses.push((await cancel(options, target, WRONG, { 'x-forwarded-for': `10.9.9.${i}, 192.0.2.${i}, ${VICTIM}` })).status);
    }
    expect(statuses).toEqual([403, 403, 429, 429]);
    // Another client behind the same proxy has its own budget.
    expect((await cancel(options, target, WRONG, { 'x-forwarded-for': '203.0.113.77' })).status).toBe(403);
    // Two proxies (a CDN, then a load balancer): the client is the second entry from the right.
    const two: HandleCancelOptions = { registry, rateLimit: { max: 1, trustProxy: 2 } };
    expect((await cancel(two, target, WRONG, { 'x-forwarded-for': `1.1.1.1, ${VICTIM}, 198.51.100.1` })).status).toBe(403);
    expect((await cancel(two, target, WRONG, { 'x-forwarded-for': `2.2.2.2, ${VICTIM}, 198.51.100.2` })).status).toBe(429);
  });

  it('defaultRateLimitKey: never a client-written header unless trustProxy says so; IPv6 grouped by /64', () => {
    const spoofed = { 'x-forwarded-for': '9.9.9.9, 10.0.0.1', 'x-real-ip': '8.8.8.8' };
    expect(defaultRateLimitKey(req(spoofed))).toBeNull();
    expect(defaultRateLimitKey(req({ 'x-real-ip': '8.8.8.8' }))).toBeNull();
    expect(defaultRateLimitKey(req(spoofed), 1)).toBe('10.0.0.1');
    expect(defaultRateLimitKey(req(spoofed), true)).toBe('10.0.0.1');
    expect(defaultRateLimitKey(req(spoofed), 2)).toBe('9.9.9.9');
    // Fewer entries than proxies: the furthest one (every entry was written by a trusted proxy).
    expect(defaultRateLimitKey(req(spoofed), 3)).toBe('9.9.9.9');
    expect(defaultRateLimitKey(req({}), 1)).toBeNull();
    expect(defaultRateLimitKey(req(spoofed), false)).toBeNull();
    expect(defaultRateLimitKey(req(spoofed), 0)).toBeNull();
    // Ports and IPv4-mapped IPv6 are dropped; an IPv6 client is keyed by its /64 (one subscriber's
    // allocation), or a single host could mint 2^64 keys.
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': '192.0.2.1:51234' }), 1)).toBe('192.0.2.1');
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': '::ffff:192.0.2.1' }), 1)).toBe('192.0.2.1');
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': '2001:db8:1:2:aaaa::1' }), 1)).toBe('2001:db8:1:2::/64');
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': '[2001:DB8:1:2:bbbb:0:0:9]:443' }), 1)).toBe('2001:db8:1:2::/64');
    expect(defaultRateLimitKey(req({ 'x-forwarded-for': '2001:db8::1' }), 1)).toBe('2001:db8:0:0::/64');
  });

  it('createRateLimiter({ trustProxy }) derives its key the same way; an explicit key wins', () => {
    const headers = { 'x-forwarded-for': '9.9.9.9, 10.0.0.1' };
    expect(createRateLimiter({ trustProxy: 1 }).key!(req(headers))).toBe('10.0.0.1');
    expect(createRateLimiter({ trustProxy: 1, key: () => 'mine' }).key!(req(headers))).toBe('mine');
    expect(() => createRateLimiter({ trustProxy: -1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ trustProxy: 1.5 })).toThrow(RangeError);
  });

  it('a trustProxy that is not a whole number ≥ 0 answers 500 and cancels nothing', async () => {
    const registry = newRegistry();
    const target = await live(registry);
    const res = await cancel({ registry, rateLimit: { trustProxy: -2 } }, target, SECRET, { 'x-forwarded-for': VICTIM });
    expect(res.status).toBe(500);
    expect(registry.counts().streams).toBe(1);
  });
});
