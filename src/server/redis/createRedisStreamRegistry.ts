import type { RedisClusterOptions } from 'redis';
import { secretHashesEqual } from '../internal/validation';
import type { CancelReport, CancelResult, RegisterResult, StreamRegistry } from '../types';
import { createCancelRoundTrip } from './createCancelRoundTrip';
import { createCommandRunner } from './createCommandRunner';
import { createFinishedStreams } from './createFinishedStreams';
import { createReassertTicker } from './createReassertTicker';
import { createRedisKeys } from './createRedisKeys';
import { createRepairQueue } from './createRepairQueue';
import { createTombstones } from './createTombstones';
import { openConnection } from './openConnection';
import { REGISTER_SCRIPT, UNREGISTER_SCRIPT } from './scripts';
import type { LocalEntry, Outcome } from './types';

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

const PENDING_REPORT: CancelReport = { usage: null, usageEstimated: false };

const toResult = (outcome: Outcome): CancelResult =>
  outcome.status === 'cancelled' ? { status: 'cancelled', report: outcome.report } : { status: 'already-finished' };

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
 *   answers 504.
 * - A cancel for an unknown id leaves `rms:{<id>}:tomb:<secretHash>` with a TTL, after reserving
 *   room for it in `rms:{tombstones}` (at most `maxTombstones`; else the cancel answers `full`).
 * - Redis restarted without persistence (every key lost): every owner re-asserts its live streams
 *   on reconnection and on every heartbeat (a third of `streamTtlMs`): the key is re-created, or,
 *   if a cancel left a tombstone meanwhile (answered `pending`), the stream is cancelled then. A key
 *   someone else registered meanwhile is left alone (see docs/server.md).
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
 *
 * // On a Redis Cluster: a few nodes to discover it from; settings for every node in `defaults`.
 * export const clusterRegistry = createRedisStreamRegistry({
 *   cluster: { rootNodes: [{ url: 'redis://10.0.0.1:7000' }, { url: 'redis://10.0.0.2:7000' }], defaults: { password: process.env.REDIS_PASSWORD } },
 * });
 * ```
 */
export function createRedisStreamRegistry(options: RedisStreamRegistryOptions): RedisStreamRegistry {
  const streamTtlMs = options.streamTtlMs ?? 30_000;
  const finishedTtlMs = options.finishedTtlMs ?? 60_000;
  const tombstoneTtlMs = options.tombstoneTtlMs ?? 10_000;
  // A whole number for the script (`Infinity` would not parse there): no cap at all is MAX_SAFE_INTEGER.
  const maxTombstones = Math.max(0, Math.floor(Math.min(options.maxTombstones ?? 10_000, Number.MAX_SAFE_INTEGER)));
  const cancelTimeoutMs = options.cancelTimeoutMs ?? 1000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 3000;

  const instanceId = crypto.randomUUID();
  const keys = createRedisKeys(options.keyPrefix ?? 'rms:', instanceId);
  const { streamKey, tombstoneKey } = keys;

  /** The streams this instance serves. */
  const local = new Map<string, LocalEntry>();
  let closed = false;
  const isClosed = () => closed;

  // The collaborators call each other (a reconnection re-asserts, a re-assert runs commands, a
  // queued repair starts the ticker): the callbacks below name ones declared further down, and
  // are only called once connected, after all of them exist.
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
  const ticker = createReassertTicker({
    local,
    command,
    repairs,
    keys,
    instanceId,
    streamTtlMs,
    finishedTtlMs,
    isClosed,
    releaseReservation: tombstones.release,
    cancelLocally: (streamId) => void cancelLocally(streamId),
  });
  const cancels = createCancelRoundTrip({ command, keys, instanceId, cancelTimeoutMs, cancelLocally: (streamId) => cancelLocally(streamId) });

  /** Cancels a stream this instance serves; stores the outcome in its hash. */
  const cancelLocally = async (streamId: string): Promise<Outcome> => {
    const entry = local.get(streamId);
    // It finished meanwhile (its FINISH went out on this connection before this command, so a
    // report of a disconnect-stopped stream is there to take).
    if (!entry) return finished.outcome(streamId);
    local.delete(streamId);
    ticker.stopIfIdle();
    let report: CancelReport | null;
    try {
      report = entry.onCancel();
    } catch {
      report = PENDING_REPORT;
    }
    await finished.finish(streamId, entry.secretHash, report ? JSON.stringify(report) : '', '').catch(() => {});
    return report ? { status: 'cancelled', report } : { status: 'already-finished' };
  };

  return {
    instanceId,

    ready() {
      return runner.connected();
    },

    async register(streamId, secretHash, onCancel): Promise<RegisterResult> {
      if (local.has(streamId)) return 'conflict'; // live here (even if Redis lost its key)
      const key = streamKey(streamId);
      const answer = await command<string>(
        key,
        ['EVAL', REGISTER_SCRIPT, '2', key, tombstoneKey(streamId, secretHash), secretHash, instanceId, String(streamTtlMs), String(finishedTtlMs)],
        // Answered 503, yet it ran (or may have): no live key may block the id. A registration
        // that took a tombstone only left a finished marker (the stream never ran, as promised).
        (late) => {
          if (late === 'cancelled') return tombstones.release(streamId, secretHash);
          if ((late === 'ok' || late === undefined) && !local.has(streamId)) return command(key, ['EVAL', UNREGISTER_SCRIPT, '1', key, secretHash, instanceId]);
        },
      );
      if (answer === 'conflict') return 'conflict';
      if (answer === 'cancelled') {
        tombstones.release(streamId, secretHash);
        return 'cancelled';
      }
      const entry: LocalEntry = { onCancel, secretHash };
      local.set(streamId, entry);
      ticker.start();
      return {
        streamId,
        async finish(stopped) {
          if (local.get(streamId) !== entry) return; // a cancel finished it already
          local.delete(streamId);
          ticker.stopIfIdle();
          await finished.finish(streamId, entry.secretHash, '', stopped ? JSON.stringify(stopped) : '');
        },
      };
    },

    async cancel(streamId, secretHash, cancelOptions): Promise<CancelResult> {
      const key = streamKey(streamId);
      let found = await command<(string | null)[]>(key, ['HMGET', key, 'secretHash', 'state', 'owner']);
      if (!found[0]) {
        if (tombstoneTtlMs <= 0 || cancelOptions?.tombstone === false) return { status: 'not-found' };
        const left = await tombstones.leave(streamId, secretHash);
        if (left === 'full') return { status: 'full' };
        if (left === null) return { status: 'cancelled', report: PENDING_REPORT, pending: true };
        found = left;
      }
      const [storedHash = '', state = '', owner = ''] = found.map((field) => field ?? '');
      if (!secretHashesEqual(storedHash, secretHash)) return { status: 'forbidden' };
      // Stopped without a cancel (its client went away): the first cancel learns it was stopped.
      if (state !== 'streaming') return toResult(await finished.outcome(streamId));
      if (owner === instanceId) return toResult(await cancelLocally(streamId));
      const answer = (await cancels.request(streamId, owner)) ?? (await finished.outcomeAfterSilence(streamId));
      return answer ? toResult(answer) : { status: 'unavailable' };
    },

    size() {
      return local.size;
    },

    async close() {
      if (closed) return;
      closed = true;
      ticker.stop();
      cancels.close();
      local.clear();
      repairs.clear();
      await connection.close();
    },
  };
}
