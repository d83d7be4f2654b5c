/**
 * `react-model-stream/server/redis`: the stream registry over Redis (node-redis, the `redis`
 * package), for several server instances. The only module of the library that imports `redis`.
 */
export {
  createRedisStreamRegistry,
  type RedisStreamRegistry,
  type RedisStreamRegistryClusterOptions,
  type RedisStreamRegistryOptions,
} from './createRedisStreamRegistry';
