import { createClient } from 'redis';
import { createHash } from 'node:crypto';
import { connect as connectTcp, createServer as createTcpServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisCluster, startRedisCluster, warnIfRedisClusterMissing, type RedisCluster } from '../helpers/redisCluster';
import { createManualUpstream, createPacedUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, postCancel, sleep, startServer, streamHeaders, textReader, waitFor, type TestServer } from './helpers/http';
import { registryContract } from './helpers/registryContract';
import { routes } from './helpers/setup';

warnIfRedisClusterMissing();

type Instance = { registry: RedisStreamRegistry; server: TestServer; streamUrl: string; cancelUrl: string; setUpstream(u: (s: AbortSignal) => Response | Promise<Response>): void };
const nodeClient = (url: string) => createClient({ url });
type NodeClient = ReturnType<typeof nodeClient>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const cancelRequest = (ids: { streamId: string; secret: string }) =>
  new Request('http://x/cancel', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
    body: JSON.stringify({ streamId: ids.streamId }),
  });

/**
 * The Redis registry on a real 3-master Redis Cluster (redis-server --cluster-enabled yes, joined by
 * redis-cli --cluster create). Each registry instance discovers the cluster from a different root
 * node; node-redis subscribes each one on a random node and sends each PUBLISH to a random node, so
 * cancels cross nodes through the cluster bus.
 */
describe.skipIf(!hasRedisCluster)('createRedisStreamRegistry on a Redis Cluster (3 real redis-server nodes)', () => {
  let cluster: RedisCluster;
  /** One plain client per node, to look at what each node holds. */
  let nodes: NodeClient[] = [];
  const instances: Instance[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    nodes = await Promise.all(
      cluster.nodes.map(async ({ url }) => {
        const client = nodeClient(url);
        client.on('error', () => {});
        await client.connect();
        return client;
      }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) await node.close().catch(() => {});
    await cluster?.stop();
  }, 30_000);

  afterEach(async () => {
    for (const instance of instances.splice(0)) {
      await instance.server.close();
      await instance.registry.close();
    }
    await Promise.all(nodes.map((node) => node.flushAll()));
  });

  const clusterOptions = (rootNode = 0): RedisStreamRegistryOptions => ({
    cluster: { rootNodes: [{ url: cluster.nodes[rootNode % cluster.nodes.length]!.url }] },
  });

  describe('the registry contract, one instance on the shared cluster', () => {
    let created = 0;
    registryContract({
      create: async (options) => {
        // Each registry discovers the cluster from another root node.
        const registry = createRedisStreamRegistry({ ...clusterOptions(created++), ...options });
        await registry.ready();
        return registry;
      },
      // The outer afterEach flushes every node once these registries are closed.
    });
  });

  /** One server instance (its own registry and node:http server) on the shared cluster. */
  async function instance(options: RedisStreamRegistryOptions = clusterOptions(instances.length)): Promise<Instance> {
    const registry = createRedisStreamRegistry(options);
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

  /** The node that holds `key` (by asking each node: only the owner has it, the others answer MOVED). */
  async function nodeHolding(key: string): Promise<number> {
    const found = await Promise.all(nodes.map((node) => node.exists(key).catch(() => 0)));
    const holders = found.flatMap((count, index) => (count === 1 ? [index] : []));
    expect(holders).toHaveLength(1);
    return holders[0]!;
  }

  /** Every key of the cluster, with the index of the node holding it. */
  async function allKeys(): Promise<{ key: string; node: number }[]> {
    const perNode = await Promise.all(nodes.map((node) => node.keys('*')));
    return perNode.flatMap((keys, node) => keys.map((key) => ({ key, node })));
  }

  it('puts both keys of a stream on one slot: {<id>} hash tag, keyPrefix kept', async () => {
    const slot = (key: string) => nodes[0]!.sendCommand(['CLUSTER', 'KEYSLOT', key]);
    for (const id of ['a', 'stream-1', 'Z9_-x', crypto.randomUUID()]) {
      const stream = await slot(`rms:{${id}}:stream`);
      expect(await slot(`rms:{${id}}:tomb:${'f'.repeat(64)}`)).toBe(stream);
      expect(await slot(`app1:{${id}}:stream`)).toBe(stream);
    }
    const a = await instance({ ...clusterOptions(0), keyPrefix: 'app1:' });
    const registration = await a.registry.register('prefixed-id', 'a'.repeat(64), () => null);
    expect(typeof registration).toBe('object');
    expect((await allKeys()).map(({ key }) => key)).toEqual(['app1:{prefixed-id}:stream']);
  });

  it('a cancel sent to instance B stops the stream served by instance A, with the usage', async () => {
    const a = await instance(clusterOptions(0));
    const b = await instance(clusterOptions(1));
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
    expect(cancel.body).toEqual({ status: 'cancelled', usage: { inputTokens: 12, outputTokens: snapshot.text.length / 4 }, usageEstimated: true });
    await waitFor(() => a.registry.size() === 0, 'A to drop the stream');

    const key = `rms:{${ids.streamId}}:stream`;
    const holder = nodes[await nodeHolding(key)]!;
    const hash = await holder.hGetAll(key);
    expect(hash).toMatchObject({ secretHash: sha256(ids.secret), state: 'finished', owner: a.registry.instanceId });
    expect(JSON.parse(hash.usage!)).toEqual({ usage: cancel.body.usage, usageEstimated: true });
    expect((await postCancel(b.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    expect((await postCancel(a.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    // A wrong secret is still refused.
    expect((await postCancel(b.cancelUrl, { ...ids, secret: newStream().secret })).status).toBe(403);
  });

  it('a cancel that reaches B before the stream starts on A leaves a tombstone on the stream\'s slot: A never calls upstream', async () => {
    const a = await instance(clusterOptions(0));
    const b = await instance(clusterOptions(2));
    const fake = createManualUpstream();
    a.setUpstream(fake.upstream);
    const ids = newStream();
    const cancel = await postCancel(b.cancelUrl, ids);
    expect(cancel.status).toBe(404);
    expect(cancel.body).toMatchObject({ status: 'pending' });
    const tombstone = `rms:{${ids.streamId}}:tomb:${sha256(ids.secret)}`;
    // The tombstone, and its reservation in the global count (a sorted set on a slot of its own).
    expect((await allKeys()).map(({ key }) => key).sort()).toEqual([tombstone, 'rms:{tombstones}'].sort());
    expect(await nodes[await nodeHolding('rms:{tombstones}')]!.zRange('rms:{tombstones}', 0, -1)).toEqual([`${ids.streamId}:${sha256(ids.secret)}`]);
    const holder = nodes[await nodeHolding(tombstone)]!;
    const ttl = await holder.pTTL(tombstone);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);

    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(await res.text()).toContain('event: stream-cancelled');
    expect(fake.calls).toBe(0);
    // The registration took the tombstone and left a finished marker, on the same node, and
    // released the reservation (best effort, after the answer).
    await waitFor(async () => (await allKeys()).length === 1, 'the reservation to be released');
    expect(await allKeys()).toEqual([{ key: `rms:{${ids.streamId}}:stream`, node: await nodeHolding(tombstone.replace(/:tomb:.*$/, ':stream')) }]);
    expect(await holder.hGet(`rms:{${ids.streamId}}:stream`, 'state')).toBe('finished');
  });

  it('a stream that ended answers already-finished through either instance; its id answers 409 meanwhile', async () => {
    const a = await instance(clusterOptions(0));
    const b = await instance(clusterOptions(1));
    const fake = createManualUpstream();
    a.setUpstream(fake.upstream);
    b.setUpstream(fake.upstream);
    const ids = newStream();
    const res = await fetch(a.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));
    fake.end();
    await reader.rest();
    await waitFor(() => a.registry.size() === 0, 'A to finish the stream');
    await waitFor(async () => (await nodes[await nodeHolding(`rms:{${ids.streamId}}:stream`)]!.hGet(`rms:{${ids.streamId}}:stream`, 'state')) === 'finished', 'the finished marker');
    expect((await postCancel(b.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    expect((await postCancel(a.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    expect((await fetch(b.streamUrl, { method: 'POST', headers: streamHeaders(ids) })).status).toBe(409);
    expect(fake.calls).toBe(1);
  });

  it('50 stream ids spread over every node: all register, all cancel through another instance, no CROSSSLOT', async () => {
    const registries = [await instance(clusterOptions(0)), await instance(clusterOptions(1)), await instance(clusterOptions(2))];
    const count = 50;
    const streams = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const fake = createManualUpstream();
        const owner = registries[i % 3]!;
        const ids = newStream();
        const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(ids) }), {
          registry: owner.registry,
          upstream: fake.upstream,
        });
        expect(res.status).toBe(200);
        const reader = textReader(res.body!);
        fake.send(openingOf('openai-chat') + deltaOf('openai-chat', i));
        await reader.until((text) => text.includes(`w${String(i).padStart(2, '0')}`));
        return { ids, reader, fake, other: registries[(i + 1) % 3]! };
      }),
    );
    expect(registries.reduce((sum, { registry }) => sum + registry.size(), 0)).toBe(count);
    // Each instance subscribed to the cancel channel on one node of its client's choosing; every
    // PUBLISH below goes to a random node, and the cluster bus carries it to the others.
    const subscribers = await Promise.all(nodes.map((node) => node.sendCommand<[string, number]>(['PUBSUB', 'NUMSUB', 'rms:cancel'])));
    expect(subscribers.reduce((sum, [, n]) => sum + Number(n), 0)).toBe(3);
    // The live keys are spread over all three nodes (the slots of 50 random UUIDs).
    const live = await allKeys();
    expect(live).toHaveLength(count);
    expect(new Set(live.map(({ node }) => node)).size).toBe(3);

    // 50 more ids are cancelled before they start: the look-up script (two keys: the absent stream
    // and its tombstone) runs on 50 more slots and leaves 50 tombstones.
    const early = Array.from({ length: count }, () => newStream());
    const pending = await Promise.all(early.map((ids, i) => handleCancel(cancelRequest(ids), { registry: registries[i % 3]!.registry }).then((r) => r.json())));
    expect(pending.map((answer) => answer.status)).toEqual(Array(count).fill('pending'));

    const answers = await Promise.all(streams.map(({ ids, other }) => handleCancel(cancelRequest(ids), { registry: other.registry }).then((r) => r.json())));
    expect(answers.map((answer) => answer.status)).toEqual(Array(count).fill('cancelled'));
    for (const { reader } of streams) expect(await reader.rest()).toContain('stream-cancelled');
    expect(streams.every(({ fake }) => fake.signal!.aborted)).toBe(true);
    expect(registries.reduce((sum, { registry }) => sum + registry.size(), 0)).toBe(0);

    const keys = await allKeys();
    expect(keys.filter(({ key }) => key.endsWith(':stream'))).toHaveLength(count);
    expect(keys.filter(({ key }) => key.includes(':tomb:'))).toHaveLength(count);
    // Ten of those streams then start: the register script takes their tombstones (two keys again).
    for (const ids of early.slice(0, 10)) {
      const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(ids) }), {
        registry: registries[0]!.registry,
        upstream: createManualUpstream().upstream,
      });
      expect(await res.text()).toContain('stream-cancelled');
    }
    expect((await allKeys()).filter(({ key }) => key.includes(':tomb:'))).toHaveLength(count - 10);
  });

  it('a registry created while the cluster was unreachable answers 503, then works once it is reachable (no restart)', async () => {
    // A root node behind a TCP relay that refuses connections at first, then forwards to node 0.
    let reachable = false;
    const sockets = new Set<Socket>();
    const relay = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      if (!reachable) return void socket.destroy();
      const upstream = connectTcp(cluster.nodes[0]!.port, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as { port: number }).port;
    const registry = createRedisStreamRegistry({ cluster: { rootNodes: [{ url: `redis://127.0.0.1:${port}` }] }, commandTimeoutMs: 1000 });
    try {
      await expect(registry.ready()).rejects.toThrow();
      expect((await handleCancel(cancelRequest(newStream()), { registry })).status).toBe(503);
      reachable = true;
      await sleep(550); // a failed connection is retried at most every 500 ms
      const ids = newStream();
      const answer = await handleCancel(cancelRequest(ids), { registry });
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ status: 'pending' });
      await registry.ready();
      expect(await nodeHolding(`rms:{${ids.streamId}}:tomb:${sha256(ids.secret)}`)).toBeGreaterThanOrEqual(0);
    } finally {
      await registry.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('answers 503 (handlers) when the cluster cannot be reached, without crashing the process', async () => {
    const registry = createRedisStreamRegistry({ cluster: { rootNodes: [{ url: 'redis://127.0.0.1:1' }] }, commandTimeoutMs: 200 });
    await expect(registry.ready()).rejects.toThrow();
    const fake = createManualUpstream();
    const stream = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: fake.upstream,
    });
    expect(stream.status).toBe(503);
    expect(fake.calls).toBe(0);
    expect((await handleCancel(cancelRequest(newStream()), { registry })).status).toBe(503);
    await registry.close();
  });
});
