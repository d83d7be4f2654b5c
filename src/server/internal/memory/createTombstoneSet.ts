/**
 * The in-memory registry's tombstones: a cancel that arrived before its stream waits `ttlMs` for it
 * to register, and then cancels it the moment it does. At most `max` are held; one already left (a
 * cancel answered `pending`) is a promise and is never evicted to make room.
 */
export type TombstoneSet = {
  /** Leaves (or renews) the tombstone of this id and secret; `'full'`: no room, nothing left. */
  leave(streamId: string, secretHash: string): 'left' | 'full';
  /** Removes the tombstone of this id and secret; `true` if there was one, not yet expired. */
  take(streamId: string, secretHash: string): boolean;
  sweep(now: number): void;
  size(): number;
  clear(): void;
};

/** Keyed by id and secret hash: a cancel with a wrong secret cannot shadow the real one. */
const keyOf = (streamId: string, secretHash: string) => `${streamId}\n${secretHash}`;

export function createTombstoneSet(ttlMs: number, max: number): TombstoneSet {
  /** key → expiry; insertion order is expiry order (one TTL for all) */
  const tombstones = new Map<string, number>();

  const sweep = (now: number) => {
    for (const [key, expiresAt] of tombstones) if (expiresAt <= now) tombstones.delete(key);
  };

  /** Drops expired tombstones from the front, where the oldest are. */
  const sweepExpiredFront = (now: number) => {
    for (const [key, expiresAt] of tombstones) {
      if (expiresAt > now) return;
      tombstones.delete(key);
    }
  };

  return {
    leave(streamId, secretHash) {
      const key = keyOf(streamId, secretHash);
      const now = Date.now();
      // Renewing a tombstone that is there takes no room; a new one needs a free slot.
      if (!tombstones.has(key) && tombstones.size >= max) {
        sweepExpiredFront(now);
        if (tombstones.size >= max) return 'full';
      }
      tombstones.delete(key); // re-insert at the end: insertion order is expiry order
      tombstones.set(key, now + ttlMs);
      return 'left';
    },
    take(streamId, secretHash) {
      const key = keyOf(streamId, secretHash);
      const expiresAt = tombstones.get(key);
      if (expiresAt === undefined) return false;
      tombstones.delete(key);
      return expiresAt > Date.now();
    },
    sweep,
    size: () => tombstones.size,
    clear: () => tombstones.clear(),
  };
}
