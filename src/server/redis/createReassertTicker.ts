import { ClientClosedError, ClientOfflineError } from 'redis';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import type { RepairQueue } from './createRepairQueue';
import { REASSERT_SCRIPT } from './scripts';
import type { LocalEntry } from './types';

export type ReassertTicker = {
  /** Re-asserts every live stream and retries the pending undo steps: on reconnection and on every tick. */
  onReconnected(): void;
  /** Starts ticking (a third of `streamTtlMs`) if it is not already. */
  start(): void;
  /** Stops ticking once there is no live stream and no undo step left. */
  stopIfIdle(): void;
  stop(): void;
};

type ReassertTickerOptions = {
  local: ReadonlyMap<string, LocalEntry>;
  command: CommandRunner['command'];
  repairs: Pick<RepairQueue, 'runAll' | 'size'>;
  keys: Pick<RedisKeys, 'streamKey' | 'tombstoneKey'>;
  instanceId: string;
  streamTtlMs: number;
  finishedTtlMs: number;
  isClosed(): boolean;
  /** The re-assert took a tombstone: free its room. */
  releaseReservation(streamId: string, secretHash: string): void;
  /** A cancel reached the stream through Redis while this instance was not told: stop it here. */
  cancelLocally(streamId: string): void;
};

/**
 * The owner's heartbeat: every third of `streamTtlMs`, and on every reconnection, each live stream
 * of this instance re-asserts its key (see REASSERT_SCRIPT), so a crashed instance's streams expire
 * and a Redis restarted empty learns the live streams again. The same tick retries the undo steps
 * of commands answered 503. It only ticks while there is something to do.
 */
export function createReassertTicker(options: ReassertTickerOptions): ReassertTicker {
  const { local, command, repairs, keys, instanceId, streamTtlMs, finishedTtlMs, isClosed } = options;
  const reasserting = new Set<string>();
  const tickMs = Math.max(100, Math.floor(streamTtlMs / 3));
  let ticker: ReturnType<typeof setInterval> | null = null;
  let soon: ReturnType<typeof setTimeout> | null = null;

  /**
   * Re-asserts one live stream of this instance. Its answer is acted on even when it comes after
   * the command timed out: a tombstone it took is a cancel to honour.
   */
  const reassert = (streamId: string, entry: LocalEntry) => {
    if (reasserting.has(streamId) || isClosed()) return;
    reasserting.add(streamId);
    const act = (answer: string | undefined) => {
      if (local.get(streamId) !== entry) return; // finished or cancelled meanwhile
      // 'finished' while it still runs here: a re-assert that took a tombstone whose answer was lost.
      if (answer === 'tombstone' || answer === 'finished') {
        if (answer === 'tombstone') options.releaseReservation(streamId, entry.secretHash);
        options.cancelLocally(streamId);
      }
      // 'taken': someone registered the id while Redis had lost it. Their key stays theirs; this
      // stream goes on (nobody asked to stop it) but cancels with its secret now answer 403, so
      // its client's Stop ends it through the disconnect (see docs/server.md).
    };
    const key = keys.streamKey(streamId);
    const tombstone = keys.tombstoneKey(streamId, entry.secretHash);
    command<string>(
      key,
      ['EVAL', REASSERT_SCRIPT, '2', key, tombstone, entry.secretHash, instanceId, String(streamTtlMs), String(finishedTtlMs)],
      (late) => act(late),
    )
      // Offline: the reconnection ('ready') re-asserts. Connected but refused (CLUSTERDOWN) or slow: soon.
      .then(act, (error) => (error instanceof ClientOfflineError || error instanceof ClientClosedError ? undefined : retrySoon()))
      .finally(() => reasserting.delete(streamId));
  };

  function onReconnected() {
    if (isClosed()) return;
    for (const [streamId, entry] of local) reassert(streamId, entry);
    repairs.runAll();
  }

  // A re-assert that failed (a cluster node that accepts connections before it serves its slots
  // answers CLUSTERDOWN for a moment) is tried again soon, not only at the next heartbeat.
  const retrySoon = () => {
    if (soon !== null || isClosed() || local.size === 0) return;
    soon = setTimeout(() => {
      soon = null;
      onReconnected();
    }, Math.min(250, tickMs));
    (soon as { unref?: () => void }).unref?.();
  };

  return {
    onReconnected,
    start() {
      if (ticker !== null || isClosed()) return;
      ticker = setInterval(onReconnected, tickMs);
      (ticker as { unref?: () => void }).unref?.();
    },
    stopIfIdle() {
      if (local.size === 0 && repairs.size() === 0 && ticker !== null) {
        clearInterval(ticker);
        ticker = null;
      }
    },
    stop() {
      if (ticker !== null) clearInterval(ticker);
      if (soon !== null) clearTimeout(soon);
      ticker = null;
    },
  };
}
