import { createClient } from 'redis';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisServer, warnIfRedisMissing } from '../helpers/redisServer';
import { startRestartableRedisServer, startTcpRelay, type RestartableRedis, type TcpRelay } from '../helpers/redisRestart';
import { createManualUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, postCancel, sleep, startServer, streamHeaders, textReader, waitFor, type TestServer } from './helpers/http';
import { routes } from './helpers/setup';

warnIfRedisMissing();

type Instance = { registry: RedisStreamRegistry; server: TestServer; streamUrl: string; cancelUrl: string; setUpstream(u: (s: AbortSignal) => Response | Promise<Response>): void };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const cancelRequest = (ids: { streamId: string; secret: string }) =>
  new Request('http://x/cancel', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
    body: JSON.stringify({ streamId: ids.streamId }),
  });
const streamRequest = (ids: { streamId: string; secret: string }) => new Request('http://x/stream', { method: 'POST', headers: streamHeaders(ids) });

/**
 * The Redis registry across a Redis restart without persistence (every key gone): a real
 * redis-server that the test SIGKILLs and starts again, empty, on the same port. Small TTLs and
 * timeouts keep each test to a few seconds.
 */
describe.skipIf(!hasRedisServer)('createRedisStreamRegistry across a Redis restart (real redis-server, killed and restarted empty)', () => {
  let redis: RestartableRedis;
  let inspector: ReturnType<typeof createClient>;
  const instances: Instance[] = [];
  const relays: TcpRelay[] = [];

  beforeAll(async () => {
    redis = await startRestartableRedisServer();
    // The default offline queue: the test's own look-ups wait for a restarted server.
    inspector = createClient({ url: redis.url, socket: { reconnectStrategy: () => 20 } });
    inspector.on('error', () => {});
    await inspector.connect();
  }, 30_000);

  afterAll(async () => {
    await inspector?.close().catch(() => {});
    await redis?.stop();
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) {
      await instance.server.close();
      await instance.registry.close();
    }
    for (const relay of relays.splice(0)) await relay.close();
    if (!(await redisAnswers())) await redis.restart();
    await inspector.flushAll();
  });

  const redisAnswers = async () => {
    try {
      const probe = createClient({ url: redis.url, socket: { reconnectStrategy: false, connectTimeout: 300 } });
      probe.on('error', () => {});
      await probe.connect();
      await probe.close();
      return true;
    } catch {
      return false;
    }
  };

  const options = (extra: Partial<RedisStreamRegistryOptions> = {}): RedisStreamRegistryOptions =>
    ({ url: redis.url, streamTtlMs: 3000, commandTimeoutMs: 500, cancelTimeoutMs: 1000, ...extra }) as RedisStreamRegistryOptions;

  async function instance(opts: RedisStreamRegistryOptions = options()): Promise<Instance> {
    const registry = createRedisStreamRegistry(opts);
    await registry.ready();
    let upstream: (s: AbortSignal) => Response | Promise<Response> = () => new Response('no upstream', { status: 500 });
    const server = await startServer(routes(registry, () => upstream));
    const created: Instance = { registry, server, streamUrl: `${server.url}/stream`, cancelUrl: `${server.url}/cancel`, setUpstream: (u) => (upstream = u) };
    instances.push(created);
    return created;
  }

  /** Waits until `registry` runs commands again (and so has run whatever it had queued before). */
  const untilAnswering = (registry: RedisStreamRegistry) =>
    waitFor(
      () =>
        registry.cancel(`probe-${randomUUID()}`, 'f'.repeat(64), { tombstone: false }).then(
          () => true,
          () => false,
        ),
      'the registry to reach Redis again',
      10_000,
    );

  /** A stream served by `owner` (through its HTTP route), read by a client until its first delta. */
  async function liveStream(owner: Instance) {
    const fake = createManualUpstream();
    owner.setUpstream(fake.upstream);
    const ids = newStream();
    const res = await fetch(owner.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(res.status).toBe(200);
    const reader = textReader(res.body!);
    fake.send(openingOf('anthropic') + deltaOf('anthropic', 0));
    await reader.until((text) => text.includes('w00'));
    return { ids, fake, reader, key: `rms:{${ids.streamId}}:stream` };
  }

  it('(a) a live stream re-asserts its key after Redis restarts empty; a cancel on B then reaches A (pub/sub came back) and answers cancelled', async () => {
    const a = await instance();
    const b = await instance();
    const { ids, fake, reader, key } = await liveStream(a);

    await inspector.set('marker-before-restart', '1');
    await redis.kill();
    await redis.restart();
    const restartedAt = performance.now();
    // Empty: the restart lost every key. (Not asserted on the stream's key: A may re-assert it
    // before this line runs.)
    expect(await inspector.exists('marker-before-restart')).toBe(0);
    // Re-asserted on reconnection (node-redis 'ready'), well before the heartbeat (1 s here).
    await waitFor(async () => (await inspector.exists(key)) === 1, 'the stream key to be re-asserted', 4000).catch(() => {});
    const reassertMs = performance.now() - restartedAt;
    const reasserted = await inspector.hGetAll(key);
    const ttl = await inspector.pTTL(key);

    await untilAnswering(b.registry);
    const cancel = await postCancel(b.cancelUrl, ids);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', usage: { inputTokens: 12 } });
    expect(reasserted).toEqual({ secretHash: sha256(ids.secret), state: 'streaming', owner: a.registry.instanceId });
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3000);
    expect(fake.signal!.aborted).toBe(true);
    const text = await reader.rest();
    expect((await collectStream(new Blob([text]).stream(), { contentType: 'text/event-stream' })).finishReason).toBe('cancelled');
    expect(await inspector.hGet(key, 'state')).toBe('finished');
    console.info(`(a) re-asserted ${reassertMs.toFixed(0)} ms after the restarted server answered PING`);
  });

  it('(a) the heartbeat re-asserts too (keys lost without a reconnection: FLUSHALL)', async () => {
    const a = await instance(options({ streamTtlMs: 600 }));
    const b = await instance();
    const { ids, reader, key } = await liveStream(a);
    await inspector.flushAll();
    await waitFor(async () => (await inspector.exists(key)) === 1, 'the heartbeat (every 200 ms) to re-create the key', 1500).catch(() => {});
    const cancel = await postCancel(b.cancelUrl, ids);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    expect(await reader.rest()).toContain('stream-cancelled');
  });

  it('(b) a cancel sent while Redis is down answers 503, and nothing happens once Redis is back', async () => {
    const a = await instance();
    const b = await instance();
    const { ids, fake, reader, key } = await liveStream(a);

    await redis.kill();
    const started = performance.now();
    const answer = await handleCancel(cancelRequest(ids), { registry: b.registry, rateLimit: false });
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(503);
    console.info(`(b) cancel during the outage answered ${answer.status} in ${elapsed.toFixed(0)} ms`);

    await redis.restart();
    await untilAnswering(b.registry);
    await untilAnswering(a.registry);
    await sleep(300);
    // The refused cancel left nothing behind: no tombstone that a re-assert would take for a cancel.
    expect(await inspector.keys(`rms:{${ids.streamId}}:tomb:*`)).toEqual([]);
    await waitFor(async () => (await inspector.exists(key)) === 1, 'the stream key to be re-asserted', 3000).catch(() => {});
    expect(await inspector.hGet(key, 'state')).toBe('streaming');
    // The stream goes on.
    expect(fake.signal!.aborted).toBe(false);
    fake.send(deltaOf('anthropic', 1));
    await reader.until((text) => text.includes('w01'));
    // And a cancel now works.
    expect((await postCancel(b.cancelUrl, ids)).body.status).toBe('cancelled');
    expect(await reader.rest()).toContain('stream-cancelled');
  });

  it('(c) a register attempted while Redis is down answers 503 and does not block its id once Redis is back', async () => {
    const a = await instance();
    const b = await instance();
    const ids = newStream();
    await redis.kill();
    const refused = createManualUpstream();
    const first = await handleModelStream(streamRequest(ids), { registry: a.registry, upstream: refused.upstream });
    expect(first.status).toBe(503);
    expect(refused.calls).toBe(0);

    await redis.restart();
    await untilAnswering(a.registry);
    await untilAnswering(b.registry);
    expect(await inspector.exists(`rms:{${ids.streamId}}:stream`)).toBe(0);
    // The same id registers at once, on either instance.
    const fake = createManualUpstream();
    const again = await handleModelStream(streamRequest(ids), { registry: b.registry, upstream: fake.upstream });
    expect(again.status).toBe(200);
    expect(fake.calls).toBe(1);
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    fake.end();
    expect(await again.text()).toContain('w00');
  });

  it('(d) a cancel in the gap after the restart, before the stream re-asserted, answers pending and cancels the stream at the re-assert', async () => {
    // A reaches Redis through a relay the test cuts, so A stays disconnected while B is back.
    const relay = await startTcpRelay(redis.port);
    relays.push(relay);
    const a = await instance(options({ url: relay.url }));
    const b = await instance();
    const { ids, fake, reader, key } = await liveStream(a);

    relay.block();
    await redis.kill();
    await redis.restart();
    await untilAnswering(b.registry);
    const cancel = await postCancel(b.cancelUrl, ids);
    expect(cancel.status).toBe(404);
    expect(cancel.body).toMatchObject({ status: 'pending' });
    expect(fake.signal!.aborted).toBe(false);

    relay.unblock();
    // A reconnects (its backoff is at most 2 s), re-asserts, finds the tombstone: the pending answer was true.
    await waitFor(() => fake.signal!.aborted, 'A to cancel the stream at its re-assert', 5000).catch(() => {});
    expect(fake.signal!.aborted).toBe(true);
    const text = await reader.rest();
    expect(text).toContain('stream-cancelled');
    expect(await inspector.keys(`rms:{${ids.streamId}}:tomb:*`)).toEqual([]);
    expect(await inspector.hGet(key, 'state')).toBe('finished');
    expect(JSON.parse((await inspector.hGet(key, 'usage'))!)).toMatchObject({ usage: { inputTokens: 12 } });
    // Later cancels: already-finished.
    expect((await postCancel(b.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
  });

  it('a register whose command was sent but timed out (503) and then ran leaves no live key: the id registers again', async () => {
    const a = await instance(options({ commandTimeoutMs: 200 }));
    const ids = newStream();
    // Redis holds every client's commands for 600 ms, then runs them.
    await inspector.sendCommand(['CLIENT', 'PAUSE', '600', 'ALL']);
    const refused = createManualUpstream();
    const first = await handleModelStream(streamRequest(ids), { registry: a.registry, upstream: refused.upstream });
    expect(first.status).toBe(503);
    expect(refused.calls).toBe(0);
    await sleep(700);
    await untilAnswering(a.registry);
    await sleep(50);
    expect(await inspector.exists(`rms:{${ids.streamId}}:stream`)).toBe(0);
    const fake = createManualUpstream();
    const again = await handleModelStream(streamRequest(ids), { registry: a.registry, upstream: fake.upstream });
    expect(again.status).toBe(200);
    fake.end();
    await again.text();
  });

  it('a cancel whose command was sent but timed out (503) and then ran leaves no tombstone: the stream then runs', async () => {
    const a = await instance();
    const b = await instance(options({ commandTimeoutMs: 200 }));
    const ids = newStream();
    await inspector.sendCommand(['CLIENT', 'PAUSE', '600', 'ALL']);
    expect((await handleCancel(cancelRequest(ids), { registry: b.registry, rateLimit: false })).status).toBe(503);
    await sleep(700);
    await untilAnswering(b.registry);
    await sleep(50);
    expect(await inspector.keys(`rms:{${ids.streamId}}:tomb:*`)).toEqual([]);
    const fake = createManualUpstream();
    const res = await handleModelStream(streamRequest(ids), { registry: a.registry, upstream: fake.upstream });
    expect(res.status).toBe(200);
    expect(fake.calls).toBe(1);
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    fake.end();
    expect(await res.text()).toContain('w00');
  });

  it('an id someone else registered during the gap is not taken over: the first registration after the restart keeps it', async () => {
    const relay = await startTcpRelay(redis.port);
    relays.push(relay);
    const a = await instance(options({ url: relay.url }));
    const b = await instance();
    const { ids, fake, reader, key } = await liveStream(a);
    relay.block();
    await redis.kill();
    await redis.restart();
    await untilAnswering(b.registry);
    // The same id registers on B with another secret while A cannot reach Redis.
    const other = { streamId: ids.streamId, secret: newStream().secret };
    const otherUpstream = createManualUpstream();
    const otherRes = await handleModelStream(streamRequest(other), { registry: b.registry, upstream: otherUpstream.upstream });
    expect(otherRes.status).toBe(200);
    relay.unblock();
    await untilAnswering(a.registry);
    await sleep(1200); // a heartbeat too
    // B's registration is intact; A's stream still runs (nobody asked to stop it).
    expect(await inspector.hGetAll(key)).toEqual({ secretHash: sha256(other.secret), state: 'streaming', owner: b.registry.instanceId });
    expect(fake.signal!.aborted).toBe(false);
    fake.send(deltaOf('anthropic', 1));
    await reader.until((text) => text.includes('w01'));
    // A cancel with A's secret is refused (the id is B's now).
    expect((await postCancel(b.cancelUrl, ids)).status).toBe(403);
    expect(fake.signal!.aborted).toBe(false);
    // A's stream ends normally and does not write into B's key.
    fake.end();
    await reader.rest();
    await waitFor(() => a.registry.size() === 0, 'A to finish its stream');
    await sleep(50);
    expect(await inspector.hGetAll(key)).toEqual({ secretHash: sha256(other.secret), state: 'streaming', owner: b.registry.instanceId });
    // B's stream is still cancellable, through either instance.
    expect((await postCancel(a.cancelUrl, other)).body.status).toBe('cancelled');
    expect(otherUpstream.signal!.aborted).toBe(true);
    await otherRes.text();
  });
});
