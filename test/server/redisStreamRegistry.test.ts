import { createClient } from 'redis';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { createRedisStreamRegistry, type RedisStreamRegistry } from '../../src/server/redis';
import { hasRedisServer, startRedisServer, warnIfRedisMissing, type RedisServer } from '../helpers/redisServer';
import { createManualUpstream, createPacedUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, postCancel, startServer, streamHeaders, textReader, waitFor, type TestServer } from './helpers/http';
import { registryContract } from './helpers/registryContract';
import { routes } from './helpers/setup';

warnIfRedisMissing();

type Instance = { registry: RedisStreamRegistry; server: TestServer; streamUrl: string; cancelUrl: string; setUpstream(u: (s: AbortSignal) => Response | Promise<Response>): void };

describe.skipIf(!hasRedisServer)('createRedisStreamRegistry (real redis-server)', () => {
  let redis: RedisServer;
  let inspector: ReturnType<typeof createClient>;
  const instances: Instance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    inspector = createClient({ url: redis.url });
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
    await inspector.flushAll();
  });

  describe('the registry contract, one instance on the shared Redis', () => {
    registryContract({
      create: async (options) => {
        const registry = createRedisStreamRegistry({ url: redis.url, ...options });
        await registry.ready();
        return registry;
      },
      // The outer afterEach flushes Redis once these registries are closed.
    });
  });

  /** One server instance (its own registry and node:http server) on the shared Redis. */
  async function instance(options: Parameters<typeof createRedisStreamRegistry>[0] | null = null): Promise<Instance> {
    const registry = createRedisStreamRegistry(options ?? { url: redis.url });
    await registry.ready();
    let upstream: (s: AbortSignal) => Response | Promise<Response> = () => new Response('no upstream', { status: 500 });
    const server = await startServer(routes(registry, () => upstream));
    const created: Instance = {
      registry,
      server,
      streamUrl: `${server.url}/stream`,
      cancelUrl: `${server.url}/cancel`,
      setUpstream: (u) => {
        upstream = u;
      },
    };
    instances.push(created);
    return created;
  }

  it('a cancel sent to instance B stops the stream served by instance A, with the usage, within a second', async () => {
    const a = await instance();
    const b = await instance();
    const paced = createPacedUpstream('anthropic', { intervalMs: 2 });
    a.setUpstream(paced.upstream);
    const ids = newStream();
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w03'));
    expect(a.registry.size()).toBe(1);
    expect(b.registry.size()).toBe(0);

    const started = performance.now();
    const cancel = await postCancel(b.cancelUrl, ids);
    const elapsed = performance.now() - started;
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    expect(elapsed).toBeLessThan(1000);
    expect(paced.stats.signalAborted).toBe(true);

    const text = await reader.rest();
    const snapshot = await collectStream(new Blob([text]).stream(), { contentType: 'text/event-stream' });
    expect(snapshot.finishReason).toBe('cancelled');
    // The answer from B carries the usage A computed: exactly what the client got.
    expect(cancel.body).toEqual({ status: 'cancelled', usage: { inputTokens: 12, outputTokens: snapshot.text.length / 4 }, usageEstimated: true });
    expect(snapshot.usage).toEqual({ ...cancel.body.usage, estimated: true });
    await waitFor(() => a.registry.size() === 0, 'A to drop the stream');
    // The hash says finished and keeps the usage for a late look-up.
    const hash = await inspector.hGetAll(`rms:{${ids.streamId}}:stream`);
    expect(hash.state).toBe('finished');
    expect(JSON.parse(hash.usage!)).toEqual({ usage: cancel.body.usage, usageEstimated: true });
    // A second cancel, through either instance, finds it finished.
    expect((await postCancel(b.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    expect((await postCancel(a.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
  });

  it('a stream whose client went away (upstream aborted): a cancel through the other instance answers cancelled with the usage, once', async () => {
    const a = await instance();
    const b = await instance();
    const paced = createPacedUpstream('anthropic', { intervalMs: 2 });
    a.setUpstream(paced.upstream);
    const ids = newStream();
    const client = new AbortController();
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids), signal: client.signal });
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w03'));
    client.abort();
    await waitFor(() => paced.stats.signalAborted, 'the upstream to abort');
    await waitFor(async () => (await inspector.hGet(`rms:{${ids.streamId}}:stream`, 'state')) === 'finished', 'the stream to be marked finished');
    const late = await postCancel(b.cancelUrl, ids);
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ status: 'cancelled', usage: { inputTokens: 12 } });
    expect(late.body.usage.outputTokens).toBeGreaterThan(0);
    expect((await postCancel(a.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    expect(await inspector.hGet(`rms:{${ids.streamId}}:stream`, 'stopped')).toBeNull();
  });

  it('a cancel already past its look-up when the stream finishes as stopped still gets the report (once)', async () => {
    const a = await instance();
    const hash = 'c'.repeat(64);
    const report = { usage: { inputTokens: 5, outputTokens: 7 }, usageEstimated: true };
    const handle = await a.registry.register('race-1', hash, () => null);
    if (typeof handle === 'string') throw new Error(`register answered ${handle}`);
    // The cancel's look-up goes out first and sees `streaming` on this instance; the finish (a
    // disconnect) removes the local entry before the cancel gets to it.
    const cancel = a.registry.cancel('race-1', hash);
    void handle.finish(report);
    expect(await cancel).toEqual({ status: 'cancelled', report });
    expect(await a.registry.cancel('race-1', hash)).toEqual({ status: 'already-finished' });
  });

  it('stores only the SHA-256 of the secret, with a TTL, and marks a finished stream with a shorter-lived marker', async () => {
    const a = await instance();
    const fake = createManualUpstream();
    a.setUpstream(fake.upstream);
    const ids = newStream();
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));

    const key = `rms:{${ids.streamId}}:stream`;
    const hash = await inspector.hGetAll(key);
    expect(hash).toEqual({ secretHash: createHash('sha256').update(ids.secret).digest('hex'), state: 'streaming', owner: a.registry.instanceId });
    // Nowhere in Redis is the raw secret.
    for (const k of await inspector.keys('*')) {
      const type = await inspector.type(k);
      const values = type === 'hash' ? Object.values(await inspector.hGetAll(k)) : type === 'string' ? [await inspector.get(k)] : [];
      for (const value of [k, ...values]) expect(value).not.toContain(ids.secret);
    }
    const ttl = await inspector.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);

    fake.end();
    await reader.rest();
    await waitFor(() => a.registry.size() === 0, 'the stream to finish');
    await waitFor(() => true, '');
    let finished: Record<string, string> = {};
    for (let i = 0; i < 100 && finished.state !== 'finished'; i++) {
      finished = await inspector.hGetAll(key);
      if (finished.state !== 'finished') await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(finished.state).toBe('finished');
    const finishedTtl = await inspector.pTTL(key);
    expect(finishedTtl).toBeGreaterThan(30_000);
    expect(finishedTtl).toBeLessThanOrEqual(60_000);
  });

  it('refuses a wrong secret through another instance (403) and the stream goes on', async () => {
    const a = await instance();
    const b = await instance();
    const fake = createManualUpstream();
    a.setUpstream(fake.upstream);
    const ids = newStream();
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));
    const wrong = await postCancel(b.cancelUrl, { ...ids, secret: newStream().secret });
    expect(wrong.status).toBe(403);
    fake.send(deltaOf('openai-chat', 1));
    await reader.until((text) => text.includes('w01'));
    expect(fake.signal!.aborted).toBe(false);
    expect((await inspector.hGetAll(`rms:{${ids.streamId}}:stream`)).state).toBe('streaming');
    expect((await postCancel(b.cancelUrl, ids)).body.status).toBe('cancelled');
    await reader.rest();
  });

  it('refuses an id in use on another instance with 409', async () => {
    const a = await instance();
    const b = await instance();
    const fake = createManualUpstream();
    a.setUpstream(fake.upstream);
    b.setUpstream(fake.upstream);
    const ids = newStream();
    const first = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const second = await fetch(b.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(second.status).toBe(409);
    expect(fake.calls).toBe(1);
    fake.end();
    await first.text();
  });

  it('a cancel that reaches B before the stream starts on A leaves a tombstone: A never calls upstream', async () => {
    const a = await instance();
    const b = await instance();
    const fake = createManualUpstream();
    a.setUpstream(fake.upstream);
    const ids = newStream();
    const cancel = await postCancel(b.cancelUrl, ids);
    expect(cancel.status).toBe(404);
    expect(cancel.body).toMatchObject({ status: 'pending' });
    const tombstones = await inspector.keys('rms:*:tomb:*');
    expect(tombstones).toEqual([`rms:{${ids.streamId}}:tomb:${createHash('sha256').update(ids.secret).digest('hex')}`]);
    const ttl = await inspector.pTTL(tombstones[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(await res.text()).toContain('event: stream-cancelled');
    expect(fake.calls).toBe(0);
    expect(await inspector.keys('rms:*:tomb:*')).toEqual([]);
  });

  it('answers 404 for an unknown id when tombstones are off', async () => {
    const b = await instance({ url: redis.url, tombstoneTtlMs: 0 });
    expect((await postCancel(b.cancelUrl, newStream())).status).toBe(404);
  });

  it('answers 504 when the instance holding the stream is gone and never confirms', async () => {
    const a = await instance();
    const b = await instance({ url: redis.url, cancelTimeoutMs: 200 });
    const ids = newStream();
    // A registers a stream, then dies without finishing it (its key outlives it until the TTL).
    const registration = await a.registry.register(ids.streamId, createHash('sha256').update(ids.secret).digest('hex'), () => null);
    expect(typeof registration).toBe('object');
    await a.registry.close();
    const started = performance.now();
    const cancel = await postCancel(b.cancelUrl, ids);
    expect(cancel.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('onDisconnect abort on A frees the stream everywhere: a cancel through B then finds it finished', async () => {
    const a = await instance();
    const b = await instance();
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    a.setUpstream(paced.upstream);
    const ids = newStream();
    const client = new AbortController();
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids), signal: client.signal });
    await textReader(res.body!).until((text) => text.includes('w01'));
    client.abort();
    await waitFor(() => paced.stats.signalAborted, 'the upstream to abort');
    await waitFor(() => a.registry.size() === 0, 'A to drop the stream');
    let answer: { status: number; body: any } | null = null;
    for (let i = 0; i < 100; i++) {
      answer = await postCancel(b.cancelUrl, ids);
      if (answer.body.status === 'already-finished') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(answer!.body).toEqual({ status: 'already-finished' });
  });

  it('handles many streams across two instances and leaves no live keys behind', async () => {
    const a = await instance();
    const b = await instance();
    const streams = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const fake = createManualUpstream();
        const owner = i % 2 === 0 ? a : b;
        const ids = newStream();
        const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(ids) }), {
          registry: owner.registry,
          upstream: fake.upstream,
        });
        const reader = textReader(res.body!);
        fake.send(openingOf('openai-chat') + deltaOf('openai-chat', i));
        await reader.until((text) => text.includes(`w0${i}`));
        return { ids, reader, other: owner === a ? b : a };
      }),
    );
    const answers = await Promise.all(
      streams.map(({ ids, other }) =>
        handleCancel(
          new Request('http://x/cancel', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
            body: JSON.stringify({ streamId: ids.streamId }),
          }),
          { registry: other.registry },
        ).then((r) => r.json()),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill('cancelled'));
    for (const { reader } of streams) expect(await reader.rest()).toContain('stream-cancelled');
    expect(a.registry.size() + b.registry.size()).toBe(0);
    const states = await Promise.all(streams.map(({ ids }) => inspector.hGet(`rms:{${ids.streamId}}:stream`, 'state')));
    expect(states).toEqual(Array(10).fill('finished'));
  });

  it('refreshes the TTL of a live stream; the key of an instance that died expires by itself', async () => {
    const a = await instance({ url: redis.url, streamTtlMs: 900 });
    const dead = createRedisStreamRegistry({ url: redis.url, streamTtlMs: 300 });
    await dead.ready();
    const hash = 'c'.repeat(64);
    await a.registry.register('live-stream', hash, () => null);
    await dead.register('orphan-stream', hash, () => null);
    await dead.close(); // no more heartbeats for the orphan
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // Past its first TTL, still there: the heartbeat (every 300 ms) kept it.
    expect(await inspector.hGet('rms:{live-stream}:stream', 'state')).toBe('streaming');
    expect(await inspector.pTTL('rms:{live-stream}:stream')).toBeLessThanOrEqual(900);
    expect(await inspector.exists('rms:{orphan-stream}:stream')).toBe(0);
  });

  it('answers 503 (handlers) when Redis cannot be reached, without crashing the process', async () => {
    const registry = createRedisStreamRegistry({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
    await expect(registry.ready()).rejects.toThrow();
    const fake = createManualUpstream();
    const stream = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: fake.upstream,
    });
    expect(stream.status).toBe(503);
    expect(fake.calls).toBe(0);
    const ids = newStream();
    const cancel = await handleCancel(
      new Request('http://x/cancel', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
        body: JSON.stringify({ streamId: ids.streamId }),
      }),
      { registry },
    );
    expect(cancel.status).toBe(503);
    await registry.close();
  });
});
