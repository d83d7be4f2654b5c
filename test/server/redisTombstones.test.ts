import { createClient } from 'redis';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import type { CancelReport } from '../../src/server/types';
import { hasRedisServer, startRedisServer, warnIfRedisMissing, type RedisServer } from '../helpers/redisServer';
import { createManualUpstream } from './helpers/fakeUpstream';
import { newStream, sleep, streamHeaders } from './helpers/http';

warnIfRedisMissing();

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const cancelRequest = (ids: { streamId: string; secret: string }) =>
  new Request('http://x/cancel', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
    body: JSON.stringify({ streamId: ids.streamId }),
  });
const streamRequest = (ids: { streamId: string; secret: string }) => new Request('http://x/stream', { method: 'POST', headers: streamHeaders(ids) });

/** Runs `task` over `items` with at most `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map((item, j) => task(item, i + j)))));
  return results;
}

/** Tombstones of the Redis registry: bounded (`maxTombstones`), never evicted, never silently dropped. */
describe.skipIf(!hasRedisServer)('createRedisStreamRegistry tombstones (real redis-server)', () => {
  let redis: RedisServer;
  let inspector: ReturnType<typeof createClient>;
  const registries: RedisStreamRegistry[] = [];

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
    for (const registry of registries.splice(0)) await registry.close();
    await inspector.flushAll();
  });

  async function registry(extra: Partial<RedisStreamRegistryOptions> = {}): Promise<RedisStreamRegistry> {
    const created = createRedisStreamRegistry({ url: redis.url, ...extra } as RedisStreamRegistryOptions);
    registries.push(created);
    await created.ready();
    return created;
  }

  /** Every tombstone key, counted with SCAN (what an operator would run). */
  async function tombstoneKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of inspector.scanIterator({ MATCH: 'rms:*:tomb:*', COUNT: 1000 })) keys.push(...batch);
    return keys;
  }

  it('a flood of cancels for made-up ids past maxTombstones answers 503 full and leaves at most the cap; an earlier pending cancel still stops its stream', async () => {
    const a = await registry();
    const b = await registry({ maxTombstones: 50 });
    const promised = newStream();
    const first = await handleCancel(cancelRequest(promised), { registry: b, rateLimit: false });
    expect(first.status).toBe(404);
    expect(await first.json()).toMatchObject({ status: 'pending' });

    const flood = Array.from({ length: 200 }, () => newStream());
    const answers = await inBatches(flood, 50, async (ids) => {
      const res = await handleCancel(cancelRequest(ids), { registry: b, rateLimit: false });
      return { status: res.status, body: await res.json() };
    });
    const pending = answers.filter((answer) => answer.body.status === 'pending');
    const full = answers.filter((answer) => answer.body.status === 'full');
    expect(pending).toHaveLength(49);
    expect(full).toHaveLength(151);
    expect(full.every((answer) => answer.status === 503)).toBe(true);
    const keys = await tombstoneKeys();
    expect(keys.length).toBeLessThanOrEqual(50);
    expect(keys).toContain(`rms:{${promised.streamId}}:tomb:${sha256(promised.secret)}`);

    // The promised one is never evicted: its stream, registering on A, is cancelled before its upstream.
    const fake = createManualUpstream();
    const res = await handleModelStream(streamRequest(promised), { registry: a, upstream: fake.upstream });
    expect(await res.text()).toContain('stream-cancelled');
    expect(fake.calls).toBe(0);
    // Taking it freed its room: one more cancel for an unknown id is pending again, the next one full.
    expect((await b.cancel(randomUUID(), sha256('x'.repeat(32)))).status).toBe('cancelled');
    expect(await b.cancel(randomUUID(), sha256('y'.repeat(32)))).toEqual({ status: 'full' });
    expect((await tombstoneKeys()).length).toBe(50);
  });

  it('a full registry still cancels live streams, and has room again once tombstones expire', async () => {
    const a = await registry({ maxTombstones: 3, tombstoneTtlMs: 400 });
    const reports: CancelReport[] = [];
    const live = await a.register('live-1', sha256('live'.repeat(8)), () => {
      const report = { usage: { inputTokens: 1, outputTokens: 2 }, usageEstimated: false };
      reports.push(report);
      return report;
    });
    expect(typeof live).toBe('object');
    for (let i = 0; i < 3; i++) expect((await a.cancel(`made-up-${i}`, sha256(`s${i}`))).status).toBe('cancelled');
    expect(await a.cancel('made-up-3', sha256('s3'))).toEqual({ status: 'full' });
    expect(await a.cancel('live-1', sha256('live'.repeat(8)))).toEqual({ status: 'cancelled', report: reports[0] });
    await sleep(450);
    expect(await a.cancel('made-up-3', sha256('s3'))).toEqual({ status: 'cancelled', report: { usage: null, usageEstimated: false }, pending: true });
  });

  it('a repeated cancel for the same id and secret takes no more room', async () => {
    const a = await registry({ maxTombstones: 2 });
    const hash = sha256('same'.repeat(8));
    for (let i = 0; i < 5; i++) expect(await a.cancel('same-id', hash)).toMatchObject({ status: 'cancelled', pending: true });
    expect(await a.cancel('other-id', hash)).toMatchObject({ status: 'cancelled', pending: true });
    expect(await a.cancel('third-id', hash)).toEqual({ status: 'full' });
    expect((await tombstoneKeys()).sort()).toEqual([`rms:{other-id}:tomb:${hash}`, `rms:{same-id}:tomb:${hash}`]);
  });

  it('cancel(…, { tombstone: false }) leaves no tombstone and answers not-found', async () => {
    const a = await registry();
    expect(await a.cancel('no-such-stream', sha256('z'.repeat(32)), { tombstone: false })).toEqual({ status: 'not-found' });
    expect(await tombstoneKeys()).toEqual([]);
    expect(await inspector.keys('*')).toEqual([]);
  });

  it('a tombstone left by the previous version ("1", a string) is still taken, and a new cancel for it keeps it', async () => {
    const a = await registry();
    const hash = sha256('old'.repeat(11));
    await inspector.set(`rms:{old-1}:tomb:${hash}`, '1', { PX: 10_000 });
    await inspector.set(`rms:{old-2}:tomb:${hash}`, '1', { PX: 10_000 });
    expect(await a.cancel('old-2', hash)).toMatchObject({ status: 'cancelled', pending: true });
    expect(await inspector.type(`rms:{old-2}:tomb:${hash}`)).toBe('set');
    expect(await a.register('old-1', hash, () => null)).toBe('cancelled');
    expect(await a.register('old-2', hash, () => null)).toBe('cancelled');
    expect(await tombstoneKeys()).toEqual([]);
  });

  it('cancels racing registrations: a pending answer always cancels its stream, and no reservation outlives its tombstone', async () => {
    const a = await registry({ maxTombstones: 1000 });
    const b = await registry({ maxTombstones: 1000 });
    const ids = Array.from({ length: 150 }, (_, i) => `race-${i}`);
    const hash = sha256('race'.repeat(8));
    const outcomes = await Promise.all(
      ids.map(async (id, i) => {
        let cancelledLocally = false;
        const [registered, cancelled] = await Promise.all([
          (i % 2 ? sleep(0) : Promise.resolve()).then(() =>
            a.register(id, hash, () => {
              cancelledLocally = true;
              return { usage: null, usageEstimated: true };
            }),
          ),
          (i % 2 ? Promise.resolve() : sleep(0)).then(() => b.cancel(id, hash)),
        ]);
        return { registered, cancelled, cancelledLocally: () => cancelledLocally };
      }),
    );
    for (const { registered, cancelled, cancelledLocally } of outcomes) {
      expect(cancelled.status).toBe('cancelled');
      if (cancelled.status !== 'cancelled') continue;
      if (cancelled.pending) expect(registered).toBe('cancelled');
      else {
        expect(typeof registered).toBe('object');
        expect(cancelledLocally()).toBe(true);
      }
    }
    // Every tombstone was taken; the reservations of taken tombstones were released.
    expect(await tombstoneKeys()).toEqual([]);
    expect(await inspector.zCard('rms:{tombstones}')).toBe(0);
  });
});
