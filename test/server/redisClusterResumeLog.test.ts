/**
 * The Redis resume log on a real 3-master Redis Cluster: the store contract, every key of a log on
 * one node (the `{<id>}` hash tag), and a log written through one registry and read through
 * another that discovered the cluster from another node.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisCluster, startRedisCluster, warnIfRedisClusterMissing, type RedisCluster } from '../helpers/redisCluster';
import { sleep } from './helpers/http';
import { appendAll, openWhen, pieces, readAll, resumeLogContract } from './helpers/resumeLogContract';

warnIfRedisClusterMissing();

const nodeClient = (url: string) => createClient({ url });
type NodeClient = ReturnType<typeof nodeClient>;

describe.skipIf(!hasRedisCluster)('the Redis resume log on a Redis Cluster (3 real redis-server nodes)', () => {
  let cluster: RedisCluster;
  let nodes: NodeClient[] = [];
  const registries: RedisStreamRegistry[] = [];

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
    for (const registry of registries.splice(0)) await registry.close();
  });

  const clusterOptions = (rootNode: number): RedisStreamRegistryOptions => ({
    cluster: { rootNodes: [{ url: cluster.nodes[rootNode % cluster.nodes.length]!.url }] },
  });
  const registry = async (rootNode: number) => {
    const created = createRedisStreamRegistry(clusterOptions(rootNode));
    await created.ready();
    registries.push(created);
    return created;
  };

  describe('the resume log contract', () => {
    let created = 0;
    resumeLogContract({
      create: async () => {
        // Each registry discovers the cluster from another root node.
        const made = createRedisStreamRegistry(clusterOptions(created++));
        await made.ready();
        return made;
      },
    });
  });

  it('keeps every key of a log on one node, and a reader through another root node follows a writer live', async () => {
    const writerSide = await registry(0);
    const readerSide = await registry(1);
    const streamId = `cluster-${randomUUID()}`;
    const bytes = new Uint8Array(randomBytes(20_000));
    const writer = writerSide.resumeLog!.create(streamId, 'd'.repeat(64), { contentType: null, aiSdk: null, framing: 'text' }, { maxBytes: 1 << 20, ttlMs: 60_000 });
    const log = await openWhen(readerSide.resumeLog!, streamId, () => true);
    const read = readAll(log, 0);
    let offset = 0;
    for (const chunk of pieces(bytes, 700)) {
      offset = appendAll(writer, [chunk], offset);
      await sleep(2);
    }
    // Every key of the log, on the node that holds the stream's slot, and only there.
    const keys = [`rms:{${streamId}}:log`, `rms:{${streamId}}:logmeta`, `rms:{${streamId}}:readers`];
    const held = await Promise.all(nodes.map((node) => Promise.all(keys.map((key) => node.exists(key).catch(() => 0)))));
    const holders = held.flatMap((counts, index) => (counts.every((count) => count === 1) ? [index] : []));
    expect(holders).toHaveLength(1);
    expect(held.filter((counts) => counts.some((count) => count === 1))).toHaveLength(1);
    writer.end('complete');
    expect(await read).toEqual(bytes);
  });
});
