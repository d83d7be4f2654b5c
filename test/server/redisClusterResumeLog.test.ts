/**
 * The Redis resume log on a real 3-master Redis Cluster: the store contract, every key of a log on
 * one node (the `{<id>}` hash tag), and a log written through one registry and read through
 * another that discovered the cluster from another node; and two server instances, a stream on one
 * resumed and cancelled through the other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisCluster, startRedisCluster, warnIfRedisClusterMissing, type RedisCluster } from '../helpers/redisCluster';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import { newStream, postCancel, sleep, streamHeaders, textReader } from './helpers/http';
import { cursorOf, resumeFrom, resumeInstance, type ResumeInstance } from './helpers/resumeInstance';
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

  const servers: ResumeInstance[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
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

  it('two server instances: a client that drops on A resumes through B exactly, and a cancel through B ends B\'s reader with the terminal', async () => {
    const model = createFakeModel({ protocol: 'anthropic', intervalMs: 5 });
    const a = await resumeInstance(clusterOptions(0), model, 'anthropic');
    const b = await resumeInstance(clusterOptions(2), model, 'anthropic');
    servers.push(a, b);
    const ids = newStream();
    const abort = new AbortController();
    const reader = textReader((await fetch(`${a.server.url}/stream`, { method: 'POST', headers: streamHeaders(ids), body: '{}', signal: abort.signal })).body!);
    await reader.until((text) => text.length > 300);
    abort.abort();
    const { kept, cursor } = cursorOf(reader.text, 'anthropic');
    const rest = await resumeFrom(b.server.url, ids, cursor);
    expect(rest.status).toBe(200);
    const joined = kept + (await rest.text());
    expect(joined).toBe(await (await resumeFrom(b.server.url, ids)).text());

    const slow = createFakeModel({ protocol: 'anthropic', intervalMs: 10 });
    const c = await resumeInstance(clusterOptions(1), slow, 'anthropic');
    servers.push(c);
    const second = newStream();
    const original = textReader((await fetch(`${c.server.url}/stream`, { method: 'POST', headers: streamHeaders(second), body: '{}' })).body!);
    await original.until((text) => text.includes('content_block_delta'));
    const following = textReader((await resumeFrom(b.server.url, second)).body!);
    await following.until((text) => text.split('content_block_delta').length > 3);
    expect((await postCancel(`${b.server.url}/cancel`, second)).body.status).toBe('cancelled');
    const [originalText, followedText] = await Promise.all([original.rest(), following.rest()]);
    expect(followedText).toBe(originalText);
    expect(followedText).toMatch(/event: stream-cancelled\ndata: .*\nid: \d+\.\w+\n\n$/);
    expect(slow.runs[0]!.tokensAfterAbort).toBeLessThanOrEqual(1);
  });
});
