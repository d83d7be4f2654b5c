import type { RedisClusterOptions } from 'redis';
import type { ResumeLogStore, StreamRegistry } from '../types';
import { createCancelRoundTrip } from './createCancelRoundTrip';
import { createCommandRunner } from './createCommandRunner';
import { createFinishedStreams } from './createFinishedStreams';
import { createLocalStreams } from './createLocalStreams';
import { createReassertTicker } from './createReassertTicker';
import { createRedisKeys } from './createRedisKeys';
import { createRedisLogStore } from './createRedisLogStore';
import { createRepairQueue } from './createRepairQueue';
import { createStreamCancel } from './createStreamCancel';
import { createTombstones } from './createTombstones';
import { openConnection } from './openConnection';

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
  /**
   * TTL of a live stream's key. Every third of it the owner re-asserts the key (extends it, or puts
   * it back if Redis lost it), so a crashed instance's streams expire and a restarted Redis learns
   * the live streams again. Default 30 000 ms.
   */
  streamTtlMs?: number;
  /** How long a finished stream answers a late cancel with `already-finished`. Default 60 000 ms. */
  finishedTtlMs?: number;
  /** How long a cancel that arrived before its stream waits for it. `0` turns tombstones off (404). Default 10 000 ms. */
  tombstoneTtlMs?: number;
  /**
   * Most tombstones held at once, over all instances sharing the `keyPrefix` (counted in the sorted
   * set `<prefix>{tombstones}`). When it is reached, a cancel for an unknown id answers `full`
   * (`503`) and leaves nothing; a tombstone already promised (answered `pending`) is never evicted.
   * Default 10 000.
   */
  maxTombstones?: number;
  /** How long a cancel waits for the instance serving the stream to confirm (else `504`). Default 1000 ms. */
  cancelTimeoutMs?: number;
  /**
   * How long a cancel waits, in all, once the instance serving the stream said that its listener
   * is still at work: a `handleModelStream` with `cancelUpstream`, whose answer waits for the
   * provider-side cancel. Default 10 000 ms. Keep it above the handlers' `cancelUpstreamTimeoutMs`
   * (5000 by default), else such a cancel answers `504` though the stream was stopped.
   */
  cancelListenerTimeoutMs?: number;
  /** Longest wait for one Redis command (including the first connection) before the handler answers `503`. Default 3000 ms. */
  commandTimeoutMs?: number;
  /**
   * How often a resume reader that has caught up looks for new entries of a stream that runs on
   * another instance (one small script per look); a resume on the stream's own instance is woken
   * by each write instead. Default 50 ms.
   */
  resumePollMs?: number;
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

/** The Redis registry: the shared contract plus this instance's id (the `owner` field in Redis), its resume logs and a readiness promise. */
export type RedisStreamRegistry = StreamRegistry & {
  /** Streams' resume logs in Redis, read from any instance (docs/resume.md, "Redis layout"). */
  readonly resumeLog: ResumeLogStore;
  /** Random id of this instance; cancels for streams it owns are sent to it. */
  readonly instanceId: string;
  /** Resolves once connected and subscribed; rejects if that does not happen within `commandTimeoutMs`. */
  ready(): Promise<void>;
};

/** The options with their defaults, as the collaborators take them. */
function withDefaults(options: RedisStreamRegistryOptions) {
  return {
    streamTtlMs: options.streamTtlMs ?? 30_000,
    finishedTtlMs: options.finishedTtlMs ?? 60_000,
    tombstoneTtlMs: options.tombstoneTtlMs ?? 10_000,
    // A whole number for the script (`Infinity` would not parse there): no cap at all is MAX_SAFE_INTEGER.
    maxTombstones: Math.max(0, Math.floor(Math.min(options.maxTombstones ?? 10_000, Number.MAX_SAFE_INTEGER))),
    cancelTimeoutMs: options.cancelTimeoutMs ?? 1000,
    cancelListenerTimeoutMs: options.cancelListenerTimeoutMs ?? 10_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 3000,
    resumePollMs: options.resumePollMs ?? 50,
  };
}

/**
 * Creates a stream registry shared by several server instances through Redis (node-redis), so a
 * cancel that lands on instance B stops the stream that instance A serves.
 *
 * - A stream is the hash `rms:{<id>}:stream` = `{ secretHash, state: streaming|finished, owner, usage? }`
 *   with a TTL: `streamTtlMs` while streaming (re-asserted by its owner), `finishedTtlMs` after.
 *   Only the SHA-256 of the secret is stored, never the secret.
 * - A cancel checks the secret hash (constant time) and publishes `{ streamId, owner, requestId,
 *   replyTo }` on `rms:cancel`; the owner aborts the stream, stores the usage in the hash and
 *   answers on `rms:cancel-reply:<instanceId>` with it. No confirmation within `cancelTimeoutMs`
 *   answers 504 (`cancelListenerTimeoutMs` once the owner said it awaits its listener).
 * - A cancel for an unknown id leaves `rms:{<id>}:tomb:<secretHash>` with a TTL, after reserving
 *   room for it in `rms:{tombstones}` (at most `maxTombstones`; else the cancel answers `full`).
 * - Redis restarted without persistence (every key lost): every owner re-asserts its live streams
 *   on reconnection and on every heartbeat (a third of `streamTtlMs`): the key is re-created, or,
 *   if a cancel left a tombstone meanwhile (answered `pending`), the stream is cancelled then. A key
 *   someone else registered meanwhile is left alone (see docs/server.md).
 * - With `resume` on (`handleModelStream`), a stream's output goes to a Redis Stream
 *   `rms:{<id>}:log` (entry ids `<end offset>-0`, trimmed to `maxBytes`, expiring `ttlMs` after its
 *   last write) beside its hash `rms:{<id>}:logmeta`, so `handleResume` on any instance replays it
 *   and follows it live (docs/resume.md, "Redis layout").
 * - A command answered with 503 never takes effect later: node-redis's offline queue is off (a
 *   command while disconnected fails at once), and a register or tombstone whose command timed out
 *   and then ran is undone.
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
 * // with resume: handleModelStream(request, { registry, upstream, resume: true }), and on any
 * // instance handleResume(request, { registry })
 *
 * // On a Redis Cluster: a few nodes to discover it from; settings for every node in `defaults`.
 * export const clusterRegistry = createRedisStreamRegistry({
 *   cluster: { rootNodes: [{ url: 'redis://10.0.0.1:7000' }, { url: 'redis://10.0.0.2:7000' }], defaults: { password: process.env.REDIS_PASSWORD } },
 * });
 * ```
 */
export function createRedisStreamRegistry(options: RedisStreamRegistryOptions): RedisStreamRegistry {
  const { streamTtlMs, finishedTtlMs, tombstoneTtlMs, maxTombstones, cancelTimeoutMs, cancelListenerTimeoutMs, commandTimeoutMs, resumePollMs } = withDefaults(options);
  const instanceId = crypto.randomUUID();
  const keys = createRedisKeys(options.keyPrefix ?? 'rms:', instanceId);
  let closed = false;
  const isClosed = () => closed;

  // The collaborators call each other (a reconnection re-asserts, a re-assert runs commands, a
  // queued repair starts the ticker, a stream that goes live starts it too): the callbacks below
  // name ones declared further down, and are only called once connected, after all of them exist.
  const connection = openConnection(
    options,
    {
      [keys.cancelChannel]: (message) => cancels.onCancelMessage(message),
      [keys.replyChannel]: (message) => cancels.onReplyMessage(message),
    },
    () => ticker.onReconnected(),
  );
  const repairs = createRepairQueue({
    keepForMs: Math.max(streamTtlMs, tombstoneTtlMs) + commandTimeoutMs,
    isClosed,
    onQueued: () => ticker.start(),
    onSettled: () => ticker.stopIfIdle(),
  });
  const runner = createCommandRunner({ connection, commandTimeoutMs, isClosed, repairs });
  const { command } = runner;
  const finished = createFinishedStreams({ command, keys, instanceId, finishedTtlMs });
  const tombstones = createTombstones({ command, keys, tombstoneTtlMs, maxTombstones });
  /** What the units below all take: the command runner, the key names, this instance, the TTLs. */
  const shared = { command, keys, instanceId, streamTtlMs, finishedTtlMs, tombstoneTtlMs, isClosed };
  const local = createLocalStreams({ ...shared, finished, tombstones, onLive: () => ticker.start(), onLeft: () => ticker.stopIfIdle() });
  const ticker = createReassertTicker({
    ...shared,
    local: local.entries,
    repairs,
    releaseReservation: tombstones.release,
    cancelLocally: (streamId) => void local.cancel(streamId),
  });
  const cancels = createCancelRoundTrip({ ...shared, cancelTimeoutMs, cancelListenerTimeoutMs, cancelLocally: local.cancel });
  const cancel = createStreamCancel({ ...shared, tombstones, finished, cancelLocally: local.cancel, cancelRemotely: cancels.request });
  const resumeLog = createRedisLogStore({ command, keys, pollMs: resumePollMs, isClosed });

  return {
    instanceId,
    resumeLog,
    ready: () => runner.connected(),
    register: local.register,
    cancel,
    size: () => local.entries.size,
    async close() {
      if (closed) return;
      closed = true;
      ticker.stop();
      cancels.close();
      local.clear();
      repairs.clear();
      resumeLog.close();
      await connection.close();
    },
  };
}
