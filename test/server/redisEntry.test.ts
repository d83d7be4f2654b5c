import { describe, expect, it } from 'vitest';

describe('react-model-stream/server/redis entry', () => {
  it('exports createRedisStreamRegistry', async () => {
    const redis = await import('../../src/server/redis/index');
    expect(typeof redis.createRedisStreamRegistry).toBe('function');
  });
});
