import type { CancelReport } from '../types';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import { FINISH_SCRIPT, TAKE_STOPPED_SCRIPT } from './scripts';
import type { Outcome } from './types';

export type FinishedStreams = {
  /** Marks a stream of this instance finished, with the usage of a cancel or the report of a stop without one (JSON or ''). */
  finish(streamId: string, secretHash: string, usage: string, stopped: string): Promise<unknown>;
  /**
   * A finished stream's answer: `cancelled` with the report of a stream stopped without a cancel
   * (taken once, atomically: see `StreamRegistration.finish`), else `already-finished`.
   */
  outcome(streamId: string): Promise<Outcome>;
  /**
   * The owner did not answer a cancel in time: it may have finished (or cancelled) the stream
   * meanwhile, or be gone (`null`: still streaming, nobody to stop it).
   */
  outcomeAfterSilence(streamId: string): Promise<Outcome | null>;
};

type FinishedStreamsOptions = {
  command: CommandRunner['command'];
  keys: Pick<RedisKeys, 'streamKey'>;
  instanceId: string;
  finishedTtlMs: number;
};

/** The end of a stream's hash: `state: finished` with what a late cancel is to learn, kept `finishedTtlMs`. */
export function createFinishedStreams({ command, keys, instanceId, finishedTtlMs }: FinishedStreamsOptions): FinishedStreams {
  const outcome = async (streamId: string): Promise<Outcome> => {
    const key = keys.streamKey(streamId);
    const stopped = await command<string | null>(key, ['EVAL', TAKE_STOPPED_SCRIPT, '1', key]);
    if (stopped) {
      try {
        return { status: 'cancelled', report: JSON.parse(stopped) as CancelReport };
      } catch {
        // an unreadable report: the stream is still over
      }
    }
    return { status: 'already-finished' };
  };

  return {
    finish(streamId, secretHash, usage, stopped) {
      const key = keys.streamKey(streamId);
      return command(key, ['EVAL', FINISH_SCRIPT, '1', key, String(finishedTtlMs), usage, stopped, instanceId, secretHash]);
    },

    outcome,

    async outcomeAfterSilence(streamId) {
      const key = keys.streamKey(streamId);
      const [after, usage] = await command<(string | null)[]>(key, ['HMGET', key, 'state', 'usage']);
      if (after !== 'finished') return null;
      const taken = await outcome(streamId);
      if (taken.status === 'cancelled') return taken;
      if (usage) {
        try {
          return { status: 'cancelled', report: JSON.parse(usage) as CancelReport };
        } catch {
          // fall through
        }
      }
      return { status: 'already-finished' };
    },
  };
}
