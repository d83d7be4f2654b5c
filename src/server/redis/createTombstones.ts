import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import { RESERVE_SCRIPT, TOMB_SCRIPT, UNTOMB_SCRIPT } from './scripts';

export type Tombstones = {
  /**
   * A cancel for an id Redis does not hold: reserves room, then leaves the tombstone on the
   * stream's slot, unless the stream registered meanwhile (then its look-up: `[secretHash, state,
   * owner]`). `null`: a tombstone was left (pending). `'full'`: no room, nothing left.
   */
  leave(streamId: string, secretHash: string): Promise<'full' | null | (string | null)[]>;
  /** Frees a tombstone's room (best effort: a reservation left behind only expires later). */
  release(streamId: string, secretHash: string): void;
};

type TombstonesOptions = {
  command: CommandRunner['command'];
  keys: Pick<RedisKeys, 'streamKey' | 'tombstoneKey' | 'reservationsKey' | 'reservation'>;
  tombstoneTtlMs: number;
  /** A whole number (the script cannot parse `Infinity`). */
  maxTombstones: number;
};

/** A random integer (up to 2^53) naming one cancel's share of a tombstone. Integers keep the set compact (intset). */
const newNonce = () => {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return String(high! * 2 ** 21 + (low! >>> 11));
};

/**
 * The tombstones a cancel leaves for a stream that has not registered yet, counted in one sorted
 * set over all instances (at most `maxTombstones`). The count lives on a slot of its own, so a
 * cancel takes two steps: reserve room there (RESERVE_SCRIPT), then leave the tombstone on the
 * stream's slot (TOMB_SCRIPT), which never outlives its reservation.
 */
export function createTombstones({ command, keys, tombstoneTtlMs, maxTombstones }: TombstonesOptions): Tombstones {
  const { reservationsKey } = keys;

  const release = (streamId: string, secretHash: string) => {
    command(reservationsKey, ['ZREM', reservationsKey, keys.reservation(streamId, secretHash)]).catch(() => {});
  };

  const leave = async (streamId: string, secretHash: string): Promise<'full' | null | (string | null)[]> => {
    const reserved = await command<number>(reservationsKey, [
      'EVAL',
      RESERVE_SCRIPT,
      '1',
      reservationsKey,
      keys.reservation(streamId, secretHash),
      String(tombstoneTtlMs),
      String(maxTombstones),
    ]);
    if (!reserved) return 'full';
    const key = keys.streamKey(streamId);
    const tombstone = keys.tombstoneKey(streamId, secretHash);
    const nonce = newNonce();
    // Answered 503, yet it ran (or may have): only this cancel's nonce goes, never a tombstone
    // another cancel was promised.
    const answer = await command<string[]>(key, ['EVAL', TOMB_SCRIPT, '2', key, tombstone, nonce, String(reserved)], (late) => {
      if (late === undefined || late[0] === 'tombstoned') return command(tombstone, ['EVAL', UNTOMB_SCRIPT, '1', tombstone, nonce]);
    });
    if (answer[0] === 'tombstoned') return null;
    release(streamId, secretHash);
    return answer.slice(1);
  };

  return { leave, release };
}
