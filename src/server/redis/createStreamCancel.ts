import { secretHashesEqual } from '../internal/validation';
import type { CancelReport, CancelResult, StreamRegistry } from '../types';
import type { CancelRoundTrip } from './createCancelRoundTrip';
import type { CommandRunner } from './createCommandRunner';
import type { FinishedStreams } from './createFinishedStreams';
import type { RedisKeys } from './createRedisKeys';
import type { Tombstones } from './createTombstones';
import type { Outcome } from './types';

type StreamCancelOptions = {
  command: CommandRunner['command'];
  keys: Pick<RedisKeys, 'streamKey'>;
  instanceId: string;
  tombstoneTtlMs: number;
  tombstones: Pick<Tombstones, 'leave'>;
  finished: Pick<FinishedStreams, 'outcome' | 'outcomeAfterSilence'>;
  /** Cancels a stream this instance serves. */
  cancelLocally(streamId: string): Promise<Outcome>;
  /** Asks the instance that serves a stream to cancel it. */
  cancelRemotely: CancelRoundTrip['request'];
};

const PENDING_REPORT: CancelReport = { usage: null, usageEstimated: false };

const toResult = (outcome: Outcome): CancelResult =>
  outcome.status === 'cancelled' ? { status: 'cancelled', report: outcome.report } : { status: 'already-finished' };

/**
 * The Redis registry's `cancel`, on whichever instance the cancel landed: looks the stream up in
 * Redis, leaves a tombstone for a stream not there yet, checks the secret hash (constant time),
 * then stops the stream where it runs (here, or on its owner over pub/sub), or tells a finished
 * stream's outcome.
 */
export function createStreamCancel(options: StreamCancelOptions): StreamRegistry['cancel'] {
  const { command, keys, instanceId, tombstoneTtlMs, tombstones, finished } = options;

  return async (streamId, secretHash, cancelOptions) => {
    const key = keys.streamKey(streamId);
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
    if (owner === instanceId) return toResult(await options.cancelLocally(streamId));
    const answer = (await options.cancelRemotely(streamId, owner)) ?? (await finished.outcomeAfterSilence(streamId));
    return answer ? toResult(answer) : { status: 'unavailable' };
  };
}
