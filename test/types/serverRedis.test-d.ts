import { describe, expectTypeOf, it } from 'vitest';
import type { ResumeLogStore, StreamRegistry } from 'react-model-stream/server';
import {
  createRedisStreamRegistry,
  type RedisStreamRegistry,
  type RedisStreamRegistryClusterOptions,
  type RedisStreamRegistryOptions,
} from 'react-model-stream/server/redis';

// `react-model-stream/server/redis`: the registry over Redis, for several instances.

describe('createRedisStreamRegistry', () => {
  it('returns a StreamRegistry with an instance id and ready()', () => {
    expectTypeOf(createRedisStreamRegistry).parameters.toEqualTypeOf<[options: RedisStreamRegistryOptions]>();
    expectTypeOf(createRedisStreamRegistry).returns.toEqualTypeOf<RedisStreamRegistry>();
    expectTypeOf<RedisStreamRegistry>().toExtend<StreamRegistry>();
    expectTypeOf<RedisStreamRegistry['instanceId']>().toEqualTypeOf<string>();
    expectTypeOf<RedisStreamRegistry['ready']>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<RedisStreamRegistry['resumeLog']>().toEqualTypeOf<ResumeLogStore>();
  });

  it('takes exactly one of url and cluster, with the common options beside either', () => {
    expectTypeOf({ url: 'redis://localhost:6379', keyPrefix: 'app:', maxTombstones: 100 }).toExtend<RedisStreamRegistryOptions>();
    expectTypeOf({ cluster: { rootNodes: [{ url: 'redis://10.0.0.1:7000' }] }, commandTimeoutMs: 500 }).toExtend<RedisStreamRegistryOptions>();
    expectTypeOf<{ rootNodes: [{ url: string }] }>().toExtend<RedisStreamRegistryClusterOptions>();
    // @ts-expect-error neither url nor cluster
    createRedisStreamRegistry({ keyPrefix: 'app:' });
    // @ts-expect-error both url and cluster
    createRedisStreamRegistry({ url: 'redis://localhost:6379', cluster: { rootNodes: [] } });
  });

  it('the common options are optional numbers and a key prefix', () => {
    type Options = Extract<RedisStreamRegistryOptions, { url: string }>;
    expectTypeOf<Options['keyPrefix']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Options['streamTtlMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Options['tombstoneTtlMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Options['maxTombstones']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Options['commandTimeoutMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Options['resumePollMs']>().toEqualTypeOf<number | undefined>();
  });
});
