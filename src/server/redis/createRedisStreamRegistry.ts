import { AbortError, ClientClosedError, ClientOfflineError, ErrorReply, type RedisClusterOptions } from 'redis';
import { secretHashesEqual } from '../internal/validation';
import type { CancelListener, CancelReport, CancelResult, RegisterResult, StreamRegistry } from '../types';
import { openConnection } from './openConnection';
import {
  FINISH_SCRIPT,
  REASSERT_SCRIPT,
  REGISTER_SCRIPT,
  RESERVE_SCRIPT,
  TAKE_STOPPED_SCRIPT,
  TOMB_SCRIPT,
  UNREGISTER_SCRIPT,
  UNTOMB_SCRIPT,
} from './scripts';

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

type LocalEntry = { onCancel: CancelListener; secretHash: string };

type CancelMessage = { streamId: string; owner: string; requestId: string; replyTo: string };
type Outcome = { status: 'cancelled'; report: CancelReport } | { status: 'already-finished' };
type ReplyMessage = Outcome & { requestId: string };

const PENDING_REPORT: CancelReport = { usage: null, usageEstimated: false };

/** Errors after which the command certainly never reached Redis (or ran and failed): nothing to undo. */
const neverRan = (error: unknown) =>
  error instanceof ClientOfflineError || error instanceof ClientClosedError || error instanceof AbortError || error instanceof ErrorReply;

/** A random integer (up to 2^53) naming one cancel's share of a tombstone. Integers keep the set compact (intset). */
const newNonce = () => {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return String(high! * 2 ** 21 + (low! >>> 11));
};

class CommandTimeoutError extends Error {}

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
  const prefix = options.keyPrefix ?? 'rms:';
  const streamTtlMs = options.streamTtlMs ?? 30_000;
  const finishedTtlMs = options.finishedTtlMs ?? 60_000;
  const tombstoneTtlMs = options.tombstoneTtlMs ?? 10_000;
  // A whole number for the script (`Infinity` would not parse there): no cap at all is MAX_SAFE_INTEGER.
  const maxTombstones = Math.max(0, Math.floor(Math.min(options.maxTombstones ?? 10_000, Number.MAX_SAFE_INTEGER)));
  const cancelTimeoutMs = options.cancelTimeoutMs ?? 1000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 3000;

  const instanceId = crypto.randomUUID();
  const cancelChannel = `${prefix}cancel`;
  const replyChannel = `${prefix}cancel-reply:${instanceId}`;
  // The `{<id>}` hash tag: both keys of a stream hash to the same Redis Cluster slot, so the Lua
  // scripts that touch both never fail with CROSSSLOT. (Ids are `[A-Za-z0-9_-]`, never a brace.)
  const streamKey = (id: string) => `${prefix}{${id}}:stream`;
  const tombstoneKey = (id: string, secretHash: string) => `${prefix}{${id}}:tomb:${secretHash}`;
  // One global count of tombstones, on a slot of its own: the scripts on a stream's slot cannot
  // touch it (CROSSSLOT), so a cancel reserves room here first, then leaves the tombstone there.
  const reservationsKey = `${prefix}{tombstones}`;
  const reservation = (id: string, secretHash: string) => `${id}:${secretHash}`;

  const connection = openConnection(
    options,
    {
      [cancelChannel]: (message) => onCancelMessage(message),
      [replyChannel]: (message) => onReplyMessage(message),
    },
    () => onReconnected(),
  );

  const local = new Map<string, LocalEntry>();
  const waitingReplies = new Map<string, (reply: ReplyMessage | null) => void>();
  /** Undo steps of commands answered 503 that may still have run; retried until they succeed or their effect expired. */
  const repairs = new Map<() => Promise<unknown>, number>();
  const reasserting = new Set<string>();
  let ticker: ReturnType<typeof setInterval> | null = null;
  let closed = false;

  const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CommandTimeoutError(`Redis did not answer ${what} within ${ms} ms.`)), ms);
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

  /**
   * Runs one command; `firstKey` routes it on a cluster (a random node when undefined, e.g. PUBLISH).
   * Fails at once while disconnected (no offline queue) and after `commandTimeoutMs`. A command
   * not yet written when it times out is dropped (never runs). `undo`, for a command whose effect
   * must not outlive a failure: called with the reply when the command ran after it timed out, or
   * with `undefined` when it may have run but its reply was lost; it must be safe in both cases.
   */
  const command = async <T = unknown>(firstKey: string | undefined, args: string[], undo?: (late: T | undefined) => Promise<unknown> | void): Promise<T> => {
    if (closed) throw new Error('The Redis stream registry is closed.');
    await connected();
    const abort = new AbortController();
    const sent = connection.send<T>(firstKey, args, abort.signal);
    sent.catch(() => {}); // settled below or, after a timeout, here
    try {
      return await withTimeout(sent, commandTimeoutMs, args[0]!);
    } catch (error) {
      if (error instanceof CommandTimeoutError) {
        abort.abort(); // still in node-redis's queue: removed, so it never runs
        if (undo) {
          sent.then(
            (late) => repair(() => undo(late)),
            (late) => (neverRan(late) ? undefined : repair(() => undo(undefined))),
          );
        }
      } else if (undo && !neverRan(error)) repair(() => undo(undefined));
      throw error;
    }
  };

  /** Runs `step` now and, until it succeeds, on every reconnection and heartbeat for as long as what it undoes can last. */
  const repair = (step: () => Promise<unknown> | void) => {
    if (closed) return;
    const run = async () => {
      await step();
    };
    repairs.set(run, Date.now() + Math.max(streamTtlMs, tombstoneTtlMs) + commandTimeoutMs);
    startTicker();
    void runRepair(run);
  };
  const running = new Set<() => Promise<unknown>>();
  const runRepair = async (run: () => Promise<unknown>) => {
    if (running.has(run)) return;
    running.add(run);
    try {
      await run();
      repairs.delete(run);
    } catch {
      // kept for the next reconnection or heartbeat
    } finally {
      running.delete(run);
      stopTickerIfIdle();
    }
  };
  const runRepairs = () => {
    for (const [run, until] of repairs) {
      if (Date.now() > until) repairs.delete(run);
      else void runRepair(run);
    }
    stopTickerIfIdle();
  };

  /** Frees a tombstone's room (best effort: a reservation left behind only expires later). */
  const releaseReservation = (id: string, secretHash: string) => {
    command(reservationsKey, ['ZREM', reservationsKey, reservation(id, secretHash)]).catch(() => {});
  };

  /**
   * Re-asserts one live stream of this instance (see REASSERT_SCRIPT). Its answer is acted on even
   * when it comes after the command timed out: a tombstone it took is a cancel to honour.
   */
  const reassert = (streamId: string, entry: LocalEntry) => {
    if (reasserting.has(streamId) || closed) return;
    reasserting.add(streamId);
    const act = (answer: string | undefined) => {
      if (local.get(streamId) !== entry) return; // finished or cancelled meanwhile
      // 'finished' while it still runs here: a re-assert that took a tombstone whose answer was lost.
      if (answer === 'tombstone' || answer === 'finished') {
        if (answer === 'tombstone') releaseReservation(streamId, entry.secretHash);
        void cancelLocally(streamId);
      }
      // 'taken': someone registered the id while Redis had lost it. Their key stays theirs; this
      // stream goes on (nobody asked to stop it) but cancels with its secret now answer 403, so
      // its client's Stop ends it through the disconnect (see docs/server.md).
    };
    const key = streamKey(streamId);
    command<string>(
      key,
      ['EVAL', REASSERT_SCRIPT, '2', key, tombstoneKey(streamId, entry.secretHash), entry.secretHash, instanceId, String(streamTtlMs), String(finishedTtlMs)],
      (late) => act(late),
    )
      // Offline: the reconnection ('ready') re-asserts. Connected but refused (CLUSTERDOWN) or slow: soon.
      .then(act, (error) => (error instanceof ClientOfflineError || error instanceof ClientClosedError ? undefined : retrySoon()))
      .finally(() => reasserting.delete(streamId));
  };
  const reassertAll = () => {
    for (const [streamId, entry] of local) reassert(streamId, entry);
  };

  function onReconnected() {
    if (closed) return;
    reassertAll();
    runRepairs();
  }

  // A re-assert that failed (a cluster node that accepts connections before it serves its slots
  // answers CLUSTERDOWN for a moment) is tried again soon, not only at the next heartbeat.
  const tickMs = Math.max(100, Math.floor(streamTtlMs / 3));
  let soon: ReturnType<typeof setTimeout> | null = null;
  const retrySoon = () => {
    if (soon !== null || closed || local.size === 0) return;
    soon = setTimeout(() => {
      soon = null;
      onReconnected();
    }, Math.min(250, tickMs));
    (soon as { unref?: () => void }).unref?.();
  };

  const startTicker = () => {
    if (ticker !== null || closed) return;
    ticker = setInterval(onReconnected, tickMs);
    (ticker as { unref?: () => void }).unref?.();
  };
  const stopTickerIfIdle = () => {
    if (local.size === 0 && repairs.size === 0 && ticker !== null) {
      clearInterval(ticker);
      ticker = null;
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

  const finishCommand = (streamId: string, entry: LocalEntry, usage: string, stopped: string) => {
    const key = streamKey(streamId);
    return command(key, ['EVAL', FINISH_SCRIPT, '1', key, String(finishedTtlMs), usage, stopped, instanceId, entry.secretHash]);
  };

  /** Cancels a stream this instance serves; stores the outcome in its hash. */
  const cancelLocally = async (streamId: string): Promise<Outcome> => {
    const entry = local.get(streamId);
    // It finished meanwhile (its FINISH went out on this connection before this command, so a
    // report of a disconnect-stopped stream is there to take).
    if (!entry) return finishedOutcome(streamId);
    local.delete(streamId);
    stopTickerIfIdle();
    let report: CancelReport | null;
    try {
      report = entry.onCancel();
    } catch {
      report = PENDING_REPORT;
    }
    await finishCommand(streamId, entry, report ? JSON.stringify(report) : '', '').catch(() => {});
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

  /**
   * A cancel for an id Redis does not hold: reserves room, then leaves the tombstone on the
   * stream's slot, unless the stream registered meanwhile (then its look-up: `[secretHash, state,
   * owner]`). `null`: a tombstone was left (pending).
   */
  const leaveTombstone = async (streamId: string, secretHash: string): Promise<'full' | null | (string | null)[]> => {
    const reserved = await command<number>(reservationsKey, [
      'EVAL',
      RESERVE_SCRIPT,
      '1',
      reservationsKey,
      reservation(streamId, secretHash),
      String(tombstoneTtlMs),
      String(maxTombstones),
    ]);
    if (!reserved) return 'full';
    const key = streamKey(streamId);
    const tombstone = tombstoneKey(streamId, secretHash);
    const nonce = newNonce();
    const answer = await command<string[]>(key, ['EVAL', TOMB_SCRIPT, '2', key, tombstone, nonce, String(reserved)], (late) => {
      if (late === undefined || late[0] === 'tombstoned') return command(tombstone, ['EVAL', UNTOMB_SCRIPT, '1', tombstone, nonce]);
    });
    if (answer[0] === 'tombstoned') return null;
    releaseReservation(streamId, secretHash);
    return answer.slice(1);
  };

  return {
    instanceId,

    ready() {
      return connected();
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
          if (late === 'cancelled') return releaseReservation(streamId, secretHash);
          if ((late === 'ok' || late === undefined) && !local.has(streamId)) return command(key, ['EVAL', UNREGISTER_SCRIPT, '1', key, secretHash, instanceId]);
        },
      );
      if (answer === 'conflict') return 'conflict';
      if (answer === 'cancelled') {
        releaseReservation(streamId, secretHash);
        return 'cancelled';
      }
      const entry: LocalEntry = { onCancel, secretHash };
      local.set(streamId, entry);
      startTicker();
      return {
        streamId,
        async finish(stopped) {
          if (local.get(streamId) !== entry) return; // a cancel finished it already
          local.delete(streamId);
          stopTickerIfIdle();
          await finishCommand(streamId, entry, '', stopped ? JSON.stringify(stopped) : '');
        },
      };
    },

    async cancel(streamId, secretHash, cancelOptions): Promise<CancelResult> {
      const key = streamKey(streamId);
      let found = await command<(string | null)[]>(key, ['HMGET', key, 'secretHash', 'state', 'owner']);
      if (!found[0]) {
        if (tombstoneTtlMs <= 0 || cancelOptions?.tombstone === false) return { status: 'not-found' };
        const left = await leaveTombstone(streamId, secretHash);
        if (left === 'full') return { status: 'full' };
        if (left === null) return { status: 'cancelled', report: PENDING_REPORT, pending: true };
        found = left;
      }
      const [storedHash = '', state = '', owner = ''] = found.map((field) => field ?? '');
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
      const [after, usage] = await command<(string | null)[]>(key, ['HMGET', key, 'state', 'usage']);
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
      if (ticker !== null) clearInterval(ticker);
      if (soon !== null) clearTimeout(soon);
      ticker = null;
      for (const resolve of waitingReplies.values()) resolve(null);
      waitingReplies.clear();
      local.clear();
      repairs.clear();
      await connection.close();
    },
  };
}
