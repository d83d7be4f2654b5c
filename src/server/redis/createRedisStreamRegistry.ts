import { createClient, createCluster, type RedisClusterOptions } from 'redis';
import { secretHashesEqual } from '../internal/validation';
import type { CancelListener, CancelReport, CancelResult, RegisterResult, StreamRegistry } from '../types';

/**
 * How to reach a Redis Cluster: passed to node-redis's `createCluster`.
 * - `rootNodes`: a few nodes to discover the topology from (e.g. `[{ url: 'redis://10.0.0.1:7000' }]`);
 *   the client then connects to every master it finds.
 * - `defaults`: settings for every node connection (password, username, TLS `socket` options…); the
 *   connections to discovered nodes take only these, not the settings of `rootNodes`.
 * - `nodeAddressMap`: maps the addresses the cluster announces to reachable ones (NAT, Docker).
 * - `maxCommandRedirections`: how many `MOVED`/`ASK` redirections one command may follow (resharding).
 *
 * The registry never uses node-redis's own `keyPrefix` (use the registry's `keyPrefix`).
 */
export type RedisStreamRegistryClusterOptions = Pick<RedisClusterOptions, 'rootNodes' | 'defaults' | 'nodeAddressMap' | 'maxCommandRedirections'>;

type RedisStreamRegistryCommonOptions = {
  /**
   * Prefix of every key and channel. Default `'rms:'`. Keys are `<prefix>{<id>}:stream` and
   * `<prefix>{<id>}:tomb:<secretHash>`: the `{<id>}` hash tag keeps both keys of a stream on one
   * Redis Cluster slot.
   */
  keyPrefix?: string;
  /** TTL of a live stream's key, refreshed every third of it while the stream runs (so a crashed instance's streams expire). Default 30 000 ms. */
  streamTtlMs?: number;
  /** How long a finished stream answers a late cancel with `already-finished`. Default 60 000 ms. */
  finishedTtlMs?: number;
  /** How long a cancel that arrived before its stream waits for it. `0` turns tombstones off (404). Default 10 000 ms. */
  tombstoneTtlMs?: number;
  /** How long a cancel waits for the instance serving the stream to confirm (else `504`). Default 1000 ms. */
  cancelTimeoutMs?: number;
  /** Longest wait for one Redis command (including the first connection) before the handler answers `503`. Default 3000 ms. */
  commandTimeoutMs?: number;
};

/**
 * Where Redis is: exactly one of
 * - `url`: one Redis server (or a primary behind a proxy / Sentinel-managed address), or
 * - `cluster`: a Redis Cluster (see {@link RedisStreamRegistryClusterOptions}).
 *
 * @example
 * ```ts
 * createRedisStreamRegistry({ url: 'redis://localhost:6379' });
 * createRedisStreamRegistry({
 *   cluster: {
 *     rootNodes: [{ url: 'redis://10.0.0.1:7000' }, { url: 'redis://10.0.0.2:7000' }],
 *     defaults: { password: process.env.REDIS_PASSWORD },
 *   },
 * });
 * ```
 */
export type RedisStreamRegistryOptions = RedisStreamRegistryCommonOptions &
  (
    | {
        /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…`: one Redis server. */
        url: string;
        cluster?: never;
      }
    | {
        /** A Redis Cluster, through node-redis's `createCluster`. */
        cluster: RedisStreamRegistryClusterOptions;
        url?: never;
      }
  );

/** The Redis registry: the shared contract plus this instance's id (the `owner` field in Redis) and a readiness promise. */
export type RedisStreamRegistry = StreamRegistry & {
  /** Random id of this instance; cancels for streams it owns are sent to it. */
  readonly instanceId: string;
  /** Resolves once connected and subscribed; rejects if that does not happen within `commandTimeoutMs`. */
  ready(): Promise<void>;
};

type LocalEntry = { onCancel: CancelListener };

type CancelMessage = { streamId: string; owner: string; requestId: string; replyTo: string };
type Outcome = { status: 'cancelled'; report: CancelReport } | { status: 'already-finished' };
type ReplyMessage = Outcome & { requestId: string };

// KEYS[1] stream key, KEYS[2] tombstone key; ARGV: secretHash, owner, streamTtlMs, finishedTtlMs.
// Atomic, so two instances cannot both take an id and a tombstone cannot be missed.
const REGISTER_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'conflict' end
if redis.call('DEL', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[1], 'secretHash', ARGV[1], 'state', 'finished', 'owner', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 'cancelled'
end
redis.call('HSET', KEYS[1], 'secretHash', ARGV[1], 'state', 'streaming', 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 'ok'`;

// KEYS[1] stream key, KEYS[2] tombstone key; ARGV[1] tombstoneTtlMs. Atomic, so a stream that
// registers between the lookup and the tombstone cannot slip through. The secret is compared in
// JavaScript (constant time), not here.
const LOOKUP_SCRIPT = `
local h = redis.call('HMGET', KEYS[1], 'secretHash', 'state', 'owner')
if not h[1] then
  if tonumber(ARGV[1]) > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
    return {'tombstoned'}
  end
  return {'not-found'}
end
return {'found', h[1], h[2] or '', h[3] or ''}`;

// KEYS[1] stream key; ARGV: finishedTtlMs, usage JSON or '', stopped report JSON or ''. Never
// recreates an expired key.
const FINISH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'finished')
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'usage', ARGV[2]) end
if ARGV[3] and ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'stopped', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

// KEYS[1] stream key. Takes the report of a stream stopped without a cancel (see
// StreamRegistration.finish), atomically, so only the first late cancel gets it.
const TAKE_STOPPED_SCRIPT = `
local stopped = redis.call('HGET', KEYS[1], 'stopped')
if stopped then redis.call('HDEL', KEYS[1], 'stopped') end
return stopped`;

const PENDING_REPORT: CancelReport = { usage: null, usageEstimated: false };

/**
 * Creates a stream registry shared by several server instances through Redis (node-redis), so a
 * cancel that lands on instance B stops the stream that instance A serves.
 *
 * - A stream is the hash `rms:{<id>}:stream` = `{ secretHash, state: streaming|finished, owner, usage? }`
 *   with a TTL: `streamTtlMs` while streaming (refreshed by its owner), `finishedTtlMs` after. Only
 *   the SHA-256 of the secret is stored, never the secret.
 * - A cancel checks the secret hash (constant time) and publishes `{ streamId, owner, requestId,
 *   replyTo }` on `rms:cancel`; the owner aborts the stream, stores the usage in the hash and
 *   answers on `rms:cancel-reply:<instanceId>` with it. No confirmation within `cancelTimeoutMs`
 *   answers 504.
 * - A cancel for an unknown id leaves `rms:{<id>}:tomb:<secretHash>` with a TTL.
 *
 * Works on one Redis server (`url`) and on a Redis Cluster (`cluster`): the `{<id>}` hash tag puts
 * both keys of a stream on one slot, so every script runs on one node, and the cancel channels use
 * classic pub/sub, which a cluster delivers to the subscribers of every node. With `url`, one
 * client runs commands and a duplicate subscribes; with `cluster`, node-redis's cluster client
 * routes each command by its key and subscribes on a connection of its own. Connection errors
 * never crash the process: operations that cannot reach Redis within `commandTimeoutMs` fail, and
 * the handlers answer 503.
 *
 * @example
 * ```ts
 * import { createRedisStreamRegistry } from 'react-model-stream/server/redis';
 * import { handleCancel, handleModelStream } from 'react-model-stream/server';
 *
 * export const registry = createRedisStreamRegistry({ url: process.env.REDIS_URL! });
 * // use it exactly like the in-memory one:
 * // handleModelStream(request, { registry, upstream }) and handleCancel(request, { registry })
 *
 * // On a Redis Cluster: a few nodes to discover it from; settings for every node in `defaults`.
 * export const clusterRegistry = createRedisStreamRegistry({
 *   cluster: { rootNodes: [{ url: 'redis://10.0.0.1:7000' }, { url: 'redis://10.0.0.2:7000' }], defaults: { password: process.env.REDIS_PASSWORD } },
 * });
 * ```
 */
export function createRedisStreamRegistry(options: RedisStreamRegistryOptions): RedisStreamRegistry {
  const prefix = options.keyPrefix ?? 'rms:';
  const streamTtlMs = options.streamTtlMs ?? 30_000;
  const finishedTtlMs = options.finishedTtlMs ?? 60_000;
  const tombstoneTtlMs = options.tombstoneTtlMs ?? 10_000;
  const cancelTimeoutMs = options.cancelTimeoutMs ?? 1000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 3000;

  const instanceId = crypto.randomUUID();
  const cancelChannel = `${prefix}cancel`;
  const replyChannel = `${prefix}cancel-reply:${instanceId}`;
  // The `{<id>}` hash tag: both keys of a stream hash to the same Redis Cluster slot, so the Lua
  // scripts that touch both never fail with CROSSSLOT. (Ids are `[A-Za-z0-9_-]`, never a brace.)
  const streamKey = (id: string) => `${prefix}{${id}}:stream`;
  const tombstoneKey = (id: string, secretHash: string) => `${prefix}{${id}}:tomb:${secretHash}`;

  const connection = openConnection(options, {
    [cancelChannel]: (message) => onCancelMessage(message),
    [replyChannel]: (message) => onReplyMessage(message),
  });

  const local = new Map<string, LocalEntry>();
  const waitingReplies = new Map<string, (reply: ReplyMessage | null) => void>();
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let closed = false;

  const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms.`)), ms);
      (timer as { unref?: () => void }).unref?.();
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  // A failed connection attempt (a cluster whose root nodes were all unreachable: node-redis gives
  // up on those) is retried by the next operation, at most every 500 ms; a standalone client keeps
  // reconnecting by itself, so its first attempt simply takes longer.
  let failedAt = 0;
  const connect = (): Promise<void> => {
    const attempt = connection.connect();
    attempt.catch(() => {
      // Reported by every operation (and by ready()); an unhandled rejection here would crash Node.
      failedAt = Date.now();
    });
    return attempt;
  };
  let connecting = connect();
  const connected = (): Promise<void> => {
    if (failedAt !== 0 && !closed && Date.now() - failedAt >= 500) {
      failedAt = 0;
      connecting = connect();
    }
    return withTimeout(connecting, commandTimeoutMs, 'the connection');
  };

  /** Runs one command; `firstKey` routes it on a cluster (a random node when undefined, e.g. PUBLISH). */
  const command = async <T = unknown>(firstKey: string | undefined, args: string[]): Promise<T> => {
    if (closed) throw new Error('The Redis stream registry is closed.');
    await connected();
    return withTimeout(connection.send<T>(firstKey, args), commandTimeoutMs, args[0]!);
  };

  const startHeartbeat = () => {
    if (heartbeat !== null || closed) return;
    heartbeat = setInterval(() => {
      for (const id of local.keys()) command(streamKey(id), ['PEXPIRE', streamKey(id), String(streamTtlMs)]).catch(() => {});
    }, Math.max(100, Math.floor(streamTtlMs / 3)));
    (heartbeat as { unref?: () => void }).unref?.();
  };
  const stopHeartbeatIfIdle = () => {
    if (local.size === 0 && heartbeat !== null) {
      clearInterval(heartbeat);
      heartbeat = null;
    }
  };

  /**
   * A finished stream's answer: `cancelled` with the report of a stream stopped without a cancel
   * (taken once, atomically: see `StreamRegistration.finish`), else `already-finished`.
   */
  const finishedOutcome = async (streamId: string): Promise<Outcome> => {
    const stopped = await command<string | null>(streamKey(streamId), ['EVAL', TAKE_STOPPED_SCRIPT, '1', streamKey(streamId)]);
    if (stopped) {
      try {
        return { status: 'cancelled', report: JSON.parse(stopped) as CancelReport };
      } catch {
        // an unreadable report: the stream is still over
      }
    }
    return { status: 'already-finished' };
  };

  /** Cancels a stream this instance serves; stores the outcome in its hash. */
  const cancelLocally = async (streamId: string): Promise<Outcome> => {
    const entry = local.get(streamId);
    // It finished meanwhile (its FINISH went out on this connection before this command, so a
    // report of a disconnect-stopped stream is there to take).
    if (!entry) return finishedOutcome(streamId);
    local.delete(streamId);
    stopHeartbeatIfIdle();
    let report: CancelReport | null;
    try {
      report = entry.onCancel();
    } catch {
      report = PENDING_REPORT;
    }
    await command(streamKey(streamId), ['EVAL', FINISH_SCRIPT, '1', streamKey(streamId), String(finishedTtlMs), report ? JSON.stringify(report) : '']).catch(() => {});
    return report ? { status: 'cancelled', report } : { status: 'already-finished' };
  };

  function onCancelMessage(raw: string) {
    let message: CancelMessage;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!message || message.owner !== instanceId || typeof message.streamId !== 'string') return;
    void cancelLocally(message.streamId).then((outcome) =>
      command(undefined, ['PUBLISH', message.replyTo, JSON.stringify({ requestId: message.requestId, ...outcome })]).catch(() => {}),
    );
  }

  function onReplyMessage(raw: string) {
    let reply: ReplyMessage;
    try {
      reply = JSON.parse(raw);
    } catch {
      return;
    }
    const resolve = reply && waitingReplies.get(reply.requestId);
    if (resolve) {
      waitingReplies.delete(reply.requestId);
      resolve(reply);
    }
  }

  const toResult = (outcome: Outcome): CancelResult =>
    outcome.status === 'cancelled' ? { status: 'cancelled', report: outcome.report } : { status: 'already-finished' };

  return {
    instanceId,

    ready() {
      return connected();
    },

    async register(streamId, secretHash, onCancel): Promise<RegisterResult> {
      const answer = await command<string>(streamKey(streamId), [
        'EVAL',
        REGISTER_SCRIPT,
        '2',
        streamKey(streamId),
        tombstoneKey(streamId, secretHash),
        secretHash,
        instanceId,
        String(streamTtlMs),
        String(finishedTtlMs),
      ]);
      if (answer === 'conflict') return 'conflict';
      if (answer === 'cancelled') return 'cancelled';
      const entry: LocalEntry = { onCancel };
      local.set(streamId, entry);
      startHeartbeat();
      return {
        streamId,
        async finish(stopped) {
          if (local.get(streamId) !== entry) return; // a cancel finished it already
          local.delete(streamId);
          stopHeartbeatIfIdle();
          await command(streamKey(streamId), ['EVAL', FINISH_SCRIPT, '1', streamKey(streamId), String(finishedTtlMs), '', stopped ? JSON.stringify(stopped) : '']);
        },
      };
    },

    async cancel(streamId, secretHash): Promise<CancelResult> {
      const found = await command<string[]>(streamKey(streamId), ['EVAL', LOOKUP_SCRIPT, '2', streamKey(streamId), tombstoneKey(streamId, secretHash), String(tombstoneTtlMs)]);
      if (found[0] === 'tombstoned') return { status: 'cancelled', report: PENDING_REPORT, pending: true };
      if (found[0] !== 'found') return { status: 'not-found' };
      const [, storedHash = '', state = '', owner = ''] = found;
      if (!secretHashesEqual(storedHash, secretHash)) return { status: 'forbidden' };
      // Stopped without a cancel (its client went away): the first cancel learns it was stopped.
      if (state !== 'streaming') return toResult(await finishedOutcome(streamId));
      if (owner === instanceId) return toResult(await cancelLocally(streamId));

      const requestId = crypto.randomUUID();
      const reply = new Promise<ReplyMessage | null>((resolve) => {
        waitingReplies.set(requestId, resolve);
        const timer = setTimeout(() => {
          waitingReplies.delete(requestId);
          resolve(null);
        }, cancelTimeoutMs);
        (timer as { unref?: () => void }).unref?.();
      });
      try {
        await command(undefined, ['PUBLISH', cancelChannel, JSON.stringify({ streamId, owner, requestId, replyTo: replyChannel } satisfies CancelMessage)]);
      } catch (error) {
        waitingReplies.get(requestId)?.(null);
        waitingReplies.delete(requestId);
        throw error;
      }
      const answer = await reply;
      if (answer) return toResult(answer);
      // No reply in time: the owner may have finished (or cancelled) it meanwhile, or be gone.
      const [after, usage] = await command<(string | null)[]>(streamKey(streamId), ['HMGET', streamKey(streamId), 'state', 'usage']);
      if (after === 'finished') {
        const taken = await finishedOutcome(streamId);
        if (taken.status === 'cancelled') return toResult(taken);
        if (usage) {
          try {
            return { status: 'cancelled', report: JSON.parse(usage) as CancelReport };
          } catch {
            // fall through
          }
        }
        return { status: 'already-finished' };
      }
      return { status: 'unavailable' };
    },

    size() {
      return local.size;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (heartbeat !== null) clearInterval(heartbeat);
      heartbeat = null;
      for (const resolve of waitingReplies.values()) resolve(null);
      waitingReplies.clear();
      local.clear();
      await connection.close();
    },
  };
}

type Connection = {
  /** Connects (again, if an earlier attempt failed) and subscribes to the channels. */
  connect(): Promise<void>;
  send<T>(firstKey: string | undefined, args: string[]): Promise<T>;
  close(): Promise<void>;
};

const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 2000);

/**
 * One Redis server: a client for commands and a duplicate for subscriptions. A Redis Cluster: one
 * node-redis cluster client, which routes each command by its key and subscribes on a connection
 * of its own to one node; classic `PUBLISH` on a cluster reaches the subscribers of every node.
 */
function openConnection(options: RedisStreamRegistryOptions, channels: Record<string, (message: string) => void>): Connection {
  if (options.cluster) {
    const { rootNodes, defaults, nodeAddressMap, maxCommandRedirections } = options.cluster;
    const cluster = createCluster({
      rootNodes,
      defaults: { ...defaults, socket: { reconnectStrategy, ...defaults?.socket } as NonNullable<typeof defaults>['socket'] },
      ...(nodeAddressMap !== undefined ? { nodeAddressMap } : {}),
      ...(maxCommandRedirections !== undefined ? { maxCommandRedirections } : {}),
    });
    // node-redis emits 'error' on every failed (re)connection; without a listener Node would crash.
    cluster.on('error', () => {});
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
      send: <T>(firstKey: string | undefined, args: string[]) => cluster.sendCommand(firstKey, false, args) as Promise<T>,
      close: () => closeClient(cluster),
    };
  }
  const client = createClient({ url: options.url, socket: { reconnectStrategy } });
  const subscriber = client.duplicate();
  client.on('error', () => {});
  subscriber.on('error', () => {});
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
    send: <T>(_firstKey: string | undefined, args: string[]) => client.sendCommand(args) as Promise<T>,
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
