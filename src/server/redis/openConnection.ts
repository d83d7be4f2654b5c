import { createClient, createCluster, RESP_TYPES, type RedisArgument } from 'redis';
import type { RedisStreamRegistryOptions } from './createRedisStreamRegistry';

export type Connection = {
  /** Connects (again, if an earlier attempt failed) and subscribes to the channels. */
  connect(): Promise<void>;
  /**
   * Sends one command; `signal` drops it while it still waits in node-redis's queue (unwritten).
   * `buffers`: bulk strings come back as Buffers (the resume log's bytes: a UTF-8 decode would
   * corrupt a character split between two entries, and random bytes).
   */
  send<T>(firstKey: string | undefined, args: RedisArgument[], signal: AbortSignal, buffers?: boolean): Promise<T>;
  close(): Promise<void>;
};

const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 2000);

/** The command options of one `send`: its abort signal, and Buffers for bulk strings if asked. */
const sendOptions = (signal: AbortSignal, buffers: boolean | undefined) =>
  buffers ? { abortSignal: signal, typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } : { abortSignal: signal };

/**
 * One Redis server: a client for commands and a duplicate for subscriptions. A Redis Cluster: one
 * node-redis cluster client, which routes each command by its key and subscribes on a connection
 * of its own to one node; classic `PUBLISH` on a cluster reaches the subscribers of every node.
 *
 * node-redis's offline queue is off everywhere (`disableOfflineQueue`): with it, a command sent
 * while disconnected waits and runs once Redis is back, long after the handler answered 503 (a
 * refused registration would then block its id). Without it the command fails at once.
 * `onReady` runs when a connection is ready again after a reconnection (node-redis resubscribes
 * the channels before it says so): the registry then re-asserts its live streams.
 */
export function openConnection(options: RedisStreamRegistryOptions, channels: Record<string, (message: string) => void>, onReady: () => void): Connection {
  if (options.cluster) {
    const { rootNodes, defaults, nodeAddressMap, maxCommandRedirections } = options.cluster;
    const cluster = createCluster({
      rootNodes,
      defaults: {
        ...defaults,
        disableOfflineQueue: true,
        socket: { reconnectStrategy, ...defaults?.socket } as NonNullable<typeof defaults>['socket'],
      },
      ...(nodeAddressMap !== undefined ? { nodeAddressMap } : {}),
      ...(maxCommandRedirections !== undefined ? { maxCommandRedirections } : {}),
    });
    // node-redis emits 'error' on every failed (re)connection; without a listener Node would crash.
    cluster.on('error', () => {});
    // Any node's connection (the subscriber's too) ready again, e.g. after that node restarted.
    cluster.on('node-ready', onReady);
    const subscribed = new Set<string>();
    return {
      async connect() {
        if (!cluster.isOpen) await cluster.connect();
        for (const [channel, listener] of Object.entries(channels)) {
          if (subscribed.has(channel)) continue;
          await cluster.subscribe(channel, listener);
          subscribed.add(channel);
        }
      },
      send: <T>(firstKey: string | undefined, args: RedisArgument[], signal: AbortSignal, buffers?: boolean) =>
        cluster.sendCommand(firstKey, false, args, sendOptions(signal, buffers)) as Promise<T>,
      close: () => closeClient(cluster),
    };
  }
  const client = createClient({ url: options.url, disableOfflineQueue: true, socket: { reconnectStrategy } });
  const subscriber = client.duplicate();
  client.on('error', () => {});
  subscriber.on('error', () => {});
  // Both ready: commands run and the channels are subscribed again.
  const ready = () => {
    if (client.isReady && subscriber.isReady) onReady();
  };
  client.on('ready', ready);
  subscriber.on('ready', ready);
  const subscribed = new Set<string>();
  return {
    async connect() {
      if (!client.isOpen) await client.connect();
      if (!subscriber.isOpen) await subscriber.connect();
      for (const [channel, listener] of Object.entries(channels)) {
        if (subscribed.has(channel)) continue;
        await subscriber.subscribe(channel, listener);
        subscribed.add(channel);
      }
    },
    send: <T>(_firstKey: string | undefined, args: RedisArgument[], signal: AbortSignal, buffers?: boolean) =>
      client.sendCommand(args, sendOptions(signal, buffers)) as Promise<T>,
    close: async () => {
      await Promise.allSettled([closeClient(subscriber), closeClient(client)]);
    },
  };
}

async function closeClient(client: { readonly isOpen: boolean; close(): Promise<void>; destroy(): void }): Promise<void> {
  try {
    if (client.isOpen) await client.close();
    else client.destroy();
  } catch {
    try {
      client.destroy();
    } catch {
      // already closed
    }
  }
}
