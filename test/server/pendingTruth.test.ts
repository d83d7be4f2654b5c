import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStreamSession } from '../../src/core/createStreamSession';
import { StreamCancelError } from '../../src/core/errors';
import type { Protocol } from '../../src/core/types';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream, type DisconnectPolicy } from '../../src/server/handleModelStream';
import { createRedisStreamRegistry } from '../../src/server/redis';
import type { StreamRegistry } from '../../src/server/types';
import { hasRedisCluster, startRedisCluster, type RedisCluster } from '../helpers/redisCluster';
import { hasRedisServer, startRedisServer, warnIfRedisMissing, type RedisServer } from '../helpers/redisServer';
import { createPacedUpstream } from './helpers/fakeUpstream';
import { startServer, waitFor, type TestServer } from './helpers/http';

// `serverConfirmed: true` only when a server really stopped (or will stop) the
// stream. A `404 {"status":"pending"}` answer confirms a stop only while the stream's response has
// not started; once it has, the cancel endpoint does not know a running stream (instances that do
// not share a registry, an Edge isolate, a Redis that lost its keys), and the client says so.

warnIfRedisMissing();

type Instance = { server: TestServer; streamUrl: string; cancelUrl: string };
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  vi.restoreAllMocks();
});

/** One server instance over `registry`: `/stream` (the paced fake model) and `/cancel`. */
async function instance(registry: StreamRegistry, upstream: (signal: AbortSignal) => Response, onDisconnect: DisconnectPolicy = 'continue'): Promise<Instance> {
  const server = await startServer({
    '/stream': (request) => handleModelStream(request, { registry, upstream, onDisconnect }),
    '/cancel': (request) => handleCancel(request, { registry }),
  });
  open.push(server);
  return { server, streamUrl: `${server.url}/stream`, cancelUrl: `${server.url}/cancel` };
}

/**
 * A stream on instance A, its Stop sent to instance B, whose registry does not know it. Returns
 * the final snapshot and the upstream's stats.
 */
async function stopOnOtherInstance(a: Instance, b: Instance, paced: ReturnType<typeof createPacedUpstream>) {
  const session = createStreamSession({ api: a.streamUrl, cancelApi: b.cancelUrl, throttle: false });
  const done = session.start();
  await vi.waitFor(() => expect(session.getSnapshot().message.text.length).toBeGreaterThan(8), { timeout: 10_000, interval: 5 });
  const stopped = await session.stop();
  return { stopped, final: await done };
}

function expectUnconfirmed(final: Awaited<ReturnType<typeof stopOnOtherInstance>>['final']) {
  expect(final.status).toBe('incomplete');
  expect(final.incomplete?.reason).toBe('cancelled');
  expect(final.incomplete?.serverConfirmed).toBe(false);
  expect(final.incomplete?.error).toMatch(/does not know this running stream/);
  expect(final.error).toBeInstanceOf(StreamCancelError);
  expect((final.error as StreamCancelError).type).toBe('unknown-stream');
}

describe('a pending answer for a stream whose response had started is not a confirmation', () => {
  it('in memory: two instances with their own registries; the model goes on, and the client says so (once on the console)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2, events: 200 });
    const registryA = createStreamRegistry();
    const registryB = createStreamRegistry();
    open.push(registryA, registryB);
    const a = await instance(registryA, paced.upstream);
    const b = await instance(registryB, () => new Response('unused', { status: 500 }));
    const { stopped, final } = await stopOnOtherInstance(a, b, paced);
    expect(stopped.serverConfirmed).toBe(false);
    expectUnconfirmed(final);
    // What the UI must not hide: with onDisconnect 'continue' the model generated every token.
    await paced.stopped;
    expect(paced.stats).toMatchObject({ completed: true, signalAborted: false, produced: 200 });
    // Said once in development, not per stop.
    const paced2 = createPacedUpstream('openai-chat', { intervalMs: 2, events: 200 });
    const a2 = await instance(registryA, paced2.upstream);
    expectUnconfirmed((await stopOnOtherInstance(a2, b, paced2)).final);
    expect(warn.mock.calls.filter(([message]) => String(message).includes("does not know this running stream"))).toHaveLength(1);
  });

  it('a pending answer before the response started is confirmed; the stream that arrives after it is cancelled at once (SSE and plain text)', async () => {
    for (const protocol of ['openai-chat', 'text'] as Protocol[]) {
      const registry = createStreamRegistry();
      open.push(registry);
      const paced = createPacedUpstream(protocol, { intervalMs: 2, events: 200 });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const server = await startServer({
        // The stream request is held until the cancel has been answered: the cancel wins the race.
        '/stream': async (request) => {
          await gate;
          return handleModelStream(request, { registry, upstream: paced.upstream, protocol });
        },
        '/cancel': async (request) => {
          const answer = await handleCancel(request, { registry });
          release();
          return answer;
        },
      });
      open.push(server);
      const session = createStreamSession({ api: `${server.url}/stream`, cancelApi: `${server.url}/cancel`, throttle: false, drainMs: 2000 });
      const done = session.start();
      await waitFor(() => registry.counts().streams === 0 && session.getSnapshot().status === 'connecting', 'the request to be out');
      expect(await session.stop()).toEqual({ serverConfirmed: true });
      const final = await done;
      expect(final.incomplete, protocol).toEqual({ reason: 'cancelled', serverConfirmed: true });
      expect(final.error).toBeNull();
      expect(paced.stats.called, 'the model is never called').toBe(false);
    }
  });
});

describe.skipIf(!hasRedisServer)('Redis that lost its keys: pending is not a confirmation', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('a stream on A, the keys lost (FLUSHALL), the Stop sent to B: not confirmed', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    // A long TTL: no heartbeat re-asserts the stream before the cancel.
    const registryA = createRedisStreamRegistry({ url: redis.url, streamTtlMs: 120_000 });
    const registryB = createRedisStreamRegistry({ url: redis.url, streamTtlMs: 120_000 });
    open.push(registryA, registryB);
    await Promise.all([registryA.ready(), registryB.ready()]);
    const paced = createPacedUpstream('anthropic', { intervalMs: 2, events: 300 });
    const a = await instance(registryA, paced.upstream);
    const b = await instance(registryB, () => new Response('unused', { status: 500 }));
    const session = createStreamSession({ api: a.streamUrl, cancelApi: b.cancelUrl, throttle: false });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text.length).toBeGreaterThan(8), { timeout: 10_000, interval: 5 });
    const inspector = createClient({ url: redis.url });
    await inspector.connect();
    await inspector.flushAll();
    await inspector.close();
    expect((await session.stop()).serverConfirmed).toBe(false);
    expectUnconfirmed(await done);
  });
});

describe.skipIf(!hasRedisCluster)('Redis Cluster that lost its keys: pending is not a confirmation', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a stream on A, every node flushed, the Stop sent to B: not confirmed', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const options = { cluster: { rootNodes: [{ url: cluster.nodes[0]!.url }] }, streamTtlMs: 120_000 };
    const registryA = createRedisStreamRegistry(options);
    const registryB = createRedisStreamRegistry(options);
    open.push(registryA, registryB);
    await Promise.all([registryA.ready(), registryB.ready()]);
    const paced = createPacedUpstream('openai-responses', { intervalMs: 2, events: 300 });
    const a = await instance(registryA, paced.upstream);
    const b = await instance(registryB, () => new Response('unused', { status: 500 }));
    const session = createStreamSession({ api: a.streamUrl, cancelApi: b.cancelUrl, throttle: false });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text.length).toBeGreaterThan(8), { timeout: 10_000, interval: 5 });
    for (const node of cluster.nodes) {
      const client = createClient({ url: node.url });
      await client.connect();
      await client.flushAll();
      await client.close();
    }
    expect((await session.stop()).serverConfirmed).toBe(false);
    expectUnconfirmed(await done);
  });
});
