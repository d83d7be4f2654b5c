// Figures of the Redis registry's tombstones (docs/server.md, "Tombstones in Redis"), measured on a
// throw-away redis-server (no persistence) started by the test helper:
// - memory per tombstone: `MEMORY USAGE <key> SAMPLES 0` of one tombstone key, and of the
//   reservation set `rms:{tombstones}` with 10 000 members (per member);
// - a flood of cancels for made-up ids (default 50 000, concurrency 200) against a registry with
//   the default options: answers, tombstone keys counted with SCAN, DBSIZE, used_memory growth.
//
// Usage: node bench/redisTombstones.mjs [--cancels=50000] [--tombstoneTtlMs=60000] [--module=src/server/redis/index.ts]
// The flood's registry has the default options except `tombstoneTtlMs` (60 s by default here, so
// that no tombstone expires during the flood and the count shows the cap, not the expiry).
// `--module` runs the same flood against another implementation of createRedisStreamRegistry.

import { createHash, randomUUID } from 'node:crypto';
import { importTs } from './loadTs.mjs';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const cancels = Number(arg('cancels', '50000'));
const modulePath = arg('module', 'src/server/redis/index.ts');
const tombstoneTtlMs = Number(arg('tombstoneTtlMs', '60000'));

const { startRedisServer } = await importTs('test/helpers/redisServer.ts');
const { createRedisStreamRegistry } = await importTs(modulePath);
const { createClient } = await import('redis');

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const redis = await startRedisServer();
const inspector = createClient({ url: redis.url });
await inspector.connect();
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await inspector.info('memory'))[1]);
const countKeys = async (match) => {
  let count = 0;
  for await (const batch of inspector.scanIterator({ MATCH: match, COUNT: 1000 })) count += batch.length;
  return count;
};

try {
  const registry = createRedisStreamRegistry({ url: redis.url, tombstoneTtlMs });
  await registry.ready();

  // One tombstone.
  const id = randomUUID();
  await registry.cancel(id, sha256('one'));
  const tombstoneKey = `rms:{${id}}:tomb:${sha256('one')}`;
  const oneTombstone = await inspector.memoryUsage(tombstoneKey, { SAMPLES: 0 });
  const tombstoneEncoding = await inspector.objectEncoding(tombstoneKey).catch(() => null);
  await inspector.flushAll();

  // The flood.
  const before = await usedMemory();
  const answers = {};
  const started = performance.now();
  for (let i = 0; i < cancels; i += 200) {
    const batch = Array.from({ length: Math.min(200, cancels - i) }, () => registry.cancel(randomUUID(), sha256(randomUUID())).catch((error) => ({ status: `error: ${error.message}` })));
    for (const result of await Promise.all(batch)) {
      const key = result.status === 'cancelled' && result.pending ? 'pending' : result.status;
      answers[key] = (answers[key] ?? 0) + 1;
    }
  }
  const floodMs = performance.now() - started;
  const after = await usedMemory();
  const tombstoneKeys = await countKeys('rms:*:tomb:*');
  const dbsize = await inspector.dbSize();
  const reservations = await inspector.exists('rms:{tombstones}') ? await inspector.zCard('rms:{tombstones}') : 0;
  const reservationSet = reservations ? await inspector.memoryUsage('rms:{tombstones}', { SAMPLES: 0 }) : 0;

  console.log(JSON.stringify({
    redis: (await inspector.info('server')).match(/redis_version:(\S+)/)[1],
    module: modulePath,
    tombstoneTtlMs,
    oneTombstoneBytes: oneTombstone,
    tombstoneEncoding,
    flood: { cancels, ms: Math.round(floodMs), answers, tombstoneKeys, dbsize, reservations, usedMemoryGrowthBytes: after - before, perTombstoneKeyBytes: tombstoneKeys ? Math.round((after - before) / tombstoneKeys) : null },
    reservationSet: reservations ? { members: reservations, bytes: reservationSet, perMemberBytes: Math.round(reservationSet / reservations) } : null,
  }, null, 2));
  await registry.close();
} finally {
  await inspector.close().catch(() => {});
  await redis.stop();
}
