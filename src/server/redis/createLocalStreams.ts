import type { CancelListener, CancelReport, RegisterResult } from '../types';
import type { CommandRunner } from './createCommandRunner';
import type { FinishedStreams } from './createFinishedStreams';
import type { RedisKeys } from './createRedisKeys';
import type { Tombstones } from './createTombstones';
import { REGISTER_SCRIPT, UNREGISTER_SCRIPT } from './scripts';
import type { LocalEntry, Outcome } from './types';

/**
 * The streams this instance serves: registering one (atomically, in Redis), finishing it, and
 * cancelling it here (for a cancel that landed on this instance or came over pub/sub). The map is
 * the one place this instance's live streams are held; the heartbeat reads it.
 */
export type LocalStreams = {
  /** The live streams of this instance (the heartbeat re-asserts each). */
  readonly entries: ReadonlyMap<string, LocalEntry>;
  register(streamId: string, secretHash: string, onCancel: CancelListener): Promise<RegisterResult>;
  /**
   * Cancels a stream this instance serves, and stores the outcome in its hash. `onWaiting` runs
   * when its listener answered with a promise (`cancelUpstream`), before it is awaited.
   */
  cancel(streamId: string, onWaiting?: () => void): Promise<Outcome>;
  clear(): void;
};

type LocalStreamsOptions = {
  command: CommandRunner['command'];
  keys: Pick<RedisKeys, 'streamKey' | 'tombstoneKey'>;
  instanceId: string;
  streamTtlMs: number;
  finishedTtlMs: number;
  finished: Pick<FinishedStreams, 'finish' | 'outcome'>;
  tombstones: Pick<Tombstones, 'release'>;
  /** A stream went live: the heartbeat must tick. */
  onLive(): void;
  /** A stream left: the heartbeat may stop if nothing else needs it. */
  onLeft(): void;
};

const PENDING_REPORT: CancelReport = { usage: null, usageEstimated: false };

export function createLocalStreams(options: LocalStreamsOptions): LocalStreams {
  const { command, keys, instanceId, finished, tombstones, onLive, onLeft } = options;
  const local = new Map<string, LocalEntry>();

  /** Takes a stream out of the live set; `false` when it had left already (or was never this entry). */
  const leave = (streamId: string, entry: LocalEntry): boolean => {
    if (local.get(streamId) !== entry) return false;
    local.delete(streamId);
    onLeft();
    return true;
  };

  const register = async (streamId: string, secretHash: string, onCancel: CancelListener): Promise<RegisterResult> => {
    if (local.has(streamId)) return 'conflict'; // live here (even if Redis lost its key)
    const key = keys.streamKey(streamId);
    const args = [key, keys.tombstoneKey(streamId, secretHash), secretHash, instanceId, String(options.streamTtlMs), String(options.finishedTtlMs)];
    const answer = await command<string>(
      key,
      ['EVAL', REGISTER_SCRIPT, '2', ...args],
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
    onLive();
    return {
      streamId,
      async finish(stopped) {
        if (!leave(streamId, entry)) return; // a cancel finished it already
        await finished.finish(streamId, entry.secretHash, '', stopped ? JSON.stringify(stopped) : '');
      },
    };
  };

  const cancel = async (streamId: string, onWaiting?: () => void): Promise<Outcome> => {
    const entry = local.get(streamId);
    // It finished meanwhile (its FINISH went out on this connection before this command, so a
    // report of a disconnect-stopped stream is there to take).
    if (!entry) return finished.outcome(streamId);
    leave(streamId, entry);
    let report: CancelReport | null;
    try {
      const answer = entry.onCancel();
      if (answer instanceof Promise) onWaiting?.(); // `cancelUpstream`: awaited before the answer
      report = await answer;
    } catch {
      report = PENDING_REPORT;
    }
    await finished.finish(streamId, entry.secretHash, report ? JSON.stringify(report) : '', '').catch(() => {});
    return report ? { status: 'cancelled', report } : { status: 'already-finished' };
  };

  return { entries: local, register, cancel, clear: () => local.clear() };
}
