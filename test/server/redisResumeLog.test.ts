/**
 * The Redis resume log (docs/resume.md, "Redis layout") on a real redis-server: the store contract,
 * what only Redis does (a crashed writer's log expires, the memory it holds), and two server
 * instances, where a stream runs on one and is resumed and cancelled through the other.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { createRedisStreamRegistry } from '../../src/server/redis';
import { hasRedisServer, startRedisServer, warnIfRedisMissing, type RedisServer } from '../helpers/redisServer';
import { resumeLogContract } from './helpers/resumeLogContract';

warnIfRedisMissing();

describe.skipIf(!hasRedisServer)('the Redis resume log (real redis-server)', () => {
  let redis: RedisServer;
  let inspector: ReturnType<typeof createClient>;

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

  describe('the resume log contract', () => {
    resumeLogContract({
      create: async () => {
        const registry = createRedisStreamRegistry({ url: redis.url });
        await registry.ready();
        return registry;
      },
    });
  });
});
