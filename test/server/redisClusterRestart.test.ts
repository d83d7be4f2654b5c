import { createClient } from 'redis';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisCluster, startRedisCluster, warnIfRedisClusterMissing, type RedisCluster } from '../helpers/redisCluster';
import { isAlive, ping, REDIS_SERVER } from '../helpers/redisServer';
import { createManualUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, sleep, streamHeaders, textReader, waitFor } from './helpers/http';

warnIfRedisClusterMissing();

const nodeClient = (url: string) => createClient({ url });
type NodeClient = ReturnType<typeof nodeClient>;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const cancelRequest = (ids: { streamId: string; secret: string }) =>
  new Request('http://x/cancel', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
    body: JSON.stringify({ streamId: ids.streamId }),
  });
const streamRequest = (ids: { streamId: string; secret: string }) => new Request('http://x/stream', { method: 'POST', headers: streamHeaders(ids) });

/**
 * The Redis registry's restart and tombstone-cap behaviour on a real 3-master Redis Cluster: keys
 * lost on every node (FLUSHALL), a node restarted empty (SHUTDOWN NOSAVE, then the same
 * redis-server command line: it rejoins from its nodes.conf), and the tombstone count, which lives
 * on a slot of its own while each tombstone lives on its stream's slot.
 */
describe.skipIf(!hasRedisCluster)('createRedisStreamRegistry on a Redis Cluster: restarts and the tombstone cap', () => {
  let cluster: RedisCluster;
  let nodes: NodeClient[] = [];
  const registries: RedisStreamRegistry[] = [];
  /** Pids of nodes this file restarted (the cluster helper only knows the first ones). */
  const restartedPids: number[] = [];

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
    for (const pid of restartedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await cluster?.stop();
  }, 30_000);

  afterEach(async () => {
    for (const registry of registries.splice(0)) await registry.close();
    await Promise.all(nodes.map((node) => node.flushAll()));
  });

  async function registry(rootNode: number, extra: Partial<RedisStreamRegistryOptions> = {}): Promise<RedisStreamRegistry> {
    const created = createRedisStreamRegistry({ cluster: { rootNodes: [{ url: cluster.nodes[rootNode]!.url }] }, ...extra } as RedisStreamRegistryOptions);
    registries.push(created);
    await created.ready();
    return created;
  }

  const slotOf = async (key: string) => Number(await nodes[0]!.sendCommand(['CLUSTER', 'KEYSLOT', key]));
  /** Index of the node serving `key`'s slot. */
  async function nodeOf(key: string): Promise<number> {
    const slot = await slotOf(key);
    const shards = (await nodes[0]!.sendCommand(['CLUSTER', 'SLOTS'])) as [number, number, [string, number, string]][];
    const shard = shards.find(([from, to]) => slot >= from && slot <= to)!;
    return cluster.nodes.findIndex(({ port }) => port === Number(shard[2][1]));
  }
  async function exists(key: string): Promise<boolean> {
    return (await nodes[await nodeOf(key)]!.exists(key)) === 1;
  }
  /** Every tombstone key of the cluster, counted with SCAN on each node. */
  async function tombstoneKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (const node of nodes) for await (const batch of node.scanIterator({ MATCH: 'rms:*:tomb:*', COUNT: 1000 })) keys.push(...batch);
    return keys;
  }

  async function liveStream(owner: RedisStreamRegistry, ids = newStream()) {
    const fake = createManualUpstream();
    const res = await handleModelStream(streamRequest(ids), { registry: owner, upstream: fake.upstream });
    expect(res.status).toBe(200);
    const reader = textReader(res.body!);
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));
    return { ids, fake, reader, key: `rms:{${ids.streamId}}:stream` };
  }

  it('re-asserts live streams on every node after FLUSHALL on all nodes; cancels through another instance then stop them', async () => {
    const a = await registry(0, { streamTtlMs: 600 });
    const b = await registry(1);
    const streams = await Promise.all(Array.from({ length: 9 }, () => liveStream(a)));
    expect(new Set(await Promise.all(streams.map(({ key }) => nodeOf(key)))).size).toBeGreaterThan(1);
    await Promise.all(nodes.map((node) => node.flushAll()));
    expect(await tombstoneKeys()).toEqual([]);
    // The heartbeat (every 200 ms here) re-creates every key on its own node.
    await waitFor(async () => (await Promise.all(streams.map(({ key }) => exists(key)))).every(Boolean), 'every stream key to be re-asserted', 1500).catch(() => {});
    const answers = await Promise.all(streams.map(({ ids }) => handleCancel(cancelRequest(ids), { registry: b, rateLimit: false }).then((r) => r.json())));
    expect(answers.map((answer) => answer.status)).toEqual(Array(9).fill('cancelled'));
    for (const { reader, fake } of streams) {
      expect(await reader.rest()).toContain('stream-cancelled');
      expect(fake.signal!.aborted).toBe(true);
    }
  });

  it('a cancel in the gap after FLUSHALL answers pending; the stream is cancelled at its re-assert', async () => {
    const a = await registry(0, { streamTtlMs: 6000 }); // heartbeat every 2 s: the gap is that long
    const b = await registry(2);
    const { ids, fake, reader, key } = await liveStream(a);
    await Promise.all(nodes.map((node) => node.flushAll()));
    const cancel = await handleCancel(cancelRequest(ids), { registry: b, rateLimit: false });
    expect(cancel.status).toBe(404);
    expect(await cancel.json()).toMatchObject({ status: 'pending' });
    expect(fake.signal!.aborted).toBe(false);
    await waitFor(() => fake.signal!.aborted, 'the re-assert to cancel the stream', 3000).catch(() => {});
    expect(fake.signal!.aborted).toBe(true);
    expect(await reader.rest()).toContain('stream-cancelled');
    expect(await tombstoneKeys()).toEqual([]);
    expect(await nodes[await nodeOf(key)]!.hGet(key, 'state')).toBe('finished');
  });

  it('a node restarted empty (SHUTDOWN NOSAVE, same command line): the streams on its slots re-assert on reconnection and stay cancellable', async () => {
    const a = await registry(0, { streamTtlMs: 30_000 }); // heartbeat every 10 s: only the reconnection can do it in time
    const b = await registry(1);
    // A stream whose key lives on node 2.
    let stream: Awaited<ReturnType<typeof liveStream>> | null = null;
    for (let i = 0; i < 50 && !stream; i++) {
      const ids = newStream();
      if ((await nodeOf(`rms:{${ids.streamId}}:stream`)) === 2) stream = await liveStream(a, ids);
    }
    const { ids, fake, reader, key } = stream!;
    const node = nodes[2]!;
    const config = async (name: string) => ((await node.configGet(name)) as Record<string, string>)[name]!;
    const port = cluster.nodes[2]!.port;
    const args = [
      '--port', String(port),
      '--cluster-port', String(cluster.nodes[2]!.busPort),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', await config('cluster-config-file'),
      '--cluster-node-timeout', '5000',
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'yes',
      '--pidfile', await config('pidfile'),
      '--dir', await config('dir'),
      '--logfile', await config('logfile'),
    ];
    await node.sendCommand(['SHUTDOWN', 'NOSAVE']).catch(() => {});
    while (await ping(port)) await sleep(10);
    await new Promise<void>((resolve, reject) => execFile(REDIS_SERVER!, args, (error) => (error ? reject(error) : resolve())));
    while (!(await ping(port))) await sleep(10);
    restartedPids.push(Number(readFileSync(args[args.indexOf('--pidfile') + 1]!, 'utf8').trim()));
    await waitFor(async () => /cluster_state:ok/.test(String(await node.sendCommand(['CLUSTER', 'INFO']).catch(() => ''))), 'the node to rejoin', 10_000);
    const rejoined = performance.now();
    await waitFor(async () => (await node.exists(key).catch(() => 0)) === 1, 'the stream key to be re-asserted on the restarted node', 5000).catch(() => {});
    console.info(`cluster node restart: key re-asserted ${(performance.now() - rejoined).toFixed(0)} ms after the node said cluster_state:ok`);
    expect(await node.hGetAll(key)).toEqual({ secretHash: sha256(ids.secret), state: 'streaming', owner: a.instanceId });
    let answer: { status: string } = { status: '' };
    await waitFor(async () => {
      const res = await handleCancel(cancelRequest(ids), { registry: b, rateLimit: false });
      if (res.status === 503) return false; // B's own connection to node 2 still reconnecting
      answer = await res.json();
      return true;
    }, 'B to reach node 2 again', 5000);
    expect(answer.status).toBe('cancelled');
    expect(fake.signal!.aborted).toBe(true);
    expect(await reader.rest()).toContain('stream-cancelled');
  });

  it('tombstones are capped over the whole cluster: a flood answers full, at most maxTombstones keys over all nodes, the promised one still cancels its stream', async () => {
    const a = await registry(0);
    const b = await registry(1, { maxTombstones: 30 });
    const promised = newStream();
    expect(await (await handleCancel(cancelRequest(promised), { registry: b, rateLimit: false })).json()).toMatchObject({ status: 'pending' });
    const flood = Array.from({ length: 100 }, () => newStream());
    // In batches of 5, so the first 29 (and their slots, all over the cluster) take the room.
    const answers: { status: number; body: { status: string } }[] = [];
    for (let i = 0; i < flood.length; i += 5) {
      answers.push(
        ...(await Promise.all(
          flood.slice(i, i + 5).map((ids) => handleCancel(cancelRequest(ids), { registry: b, rateLimit: false }).then(async (r) => ({ status: r.status, body: await r.json() }))),
        )),
      );
    }
    expect(answers.filter(({ body }) => body.status === 'pending')).toHaveLength(29);
    expect(answers.filter(({ status, body }) => status === 503 && body.status === 'full')).toHaveLength(71);
    const keys = await tombstoneKeys();
    expect(keys).toHaveLength(30);
    // Spread over the stream slots' nodes; the count on one node of its own.
    expect(new Set(await Promise.all(keys.map((key) => nodeOf(key)))).size).toBe(3);
    expect(await nodes[await nodeOf('rms:{tombstones}')]!.zCard('rms:{tombstones}')).toBe(30);

    const fake = createManualUpstream();
    const res = await handleModelStream(streamRequest(promised), { registry: a, upstream: fake.upstream });
    expect(await res.text()).toContain('stream-cancelled');
    expect(fake.calls).toBe(0);
    await waitFor(async () => (await nodes[await nodeOf('rms:{tombstones}')]!.zCard('rms:{tombstones}')) === 29, 'the reservation to be released');
    expect((await b.cancel(randomUUID(), sha256('again'))).status).toBe('cancelled');
    expect(await b.cancel(randomUUID(), sha256('full'))).toEqual({ status: 'full' });
  });

  it('a cancel whose tombstone script timed out (503) on the stream\'s node and then ran leaves no tombstone', async () => {
    const b = await registry(1, { commandTimeoutMs: 300 });
    const counterNode = await nodeOf('rms:{tombstones}');
    let ids = newStream();
    while ((await nodeOf(`rms:{${ids.streamId}}:stream`)) === counterNode) ids = newStream();
    const node = nodes[await nodeOf(`rms:{${ids.streamId}}:stream`)]!;
    // That node holds write commands (scripts included) for 800 ms; reads go on.
    await node.sendCommand(['CLIENT', 'PAUSE', '800', 'WRITE']);
    const answer = await handleCancel(cancelRequest(ids), { registry: b, rateLimit: false });
    expect(answer.status).toBe(503);
    // The look-up (a read) and the reservation (another node) went through: the script leaving
    // the tombstone is what timed out. Its reservation stays until it expires (never fewer than the tombstones).
    const reserved = await nodes[counterNode]!.zScore('rms:{tombstones}', `${ids.streamId}:${sha256(ids.secret)}`);
    await sleep(900);
    await waitFor(async () => (await tombstoneKeys()).length === 0, 'the late tombstone to be undone', 2000).catch(() => {});
    expect(await tombstoneKeys()).toEqual([]);
    expect(reserved).not.toBeNull();
  });
});
