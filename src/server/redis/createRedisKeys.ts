/** The names of the registry's keys and channels, all under one prefix. */
export type RedisKeys = {
  /** The hash of one stream: `{ secretHash, state: streaming|finished, owner, usage?, stopped? }`. */
  streamKey(id: string): string;
  /** A cancel that arrived before its stream (a set of the nonces of the cancels that left it). */
  tombstoneKey(id: string, secretHash: string): string;
  /** The sorted set that counts the tombstones held at once, over every instance. */
  reservationsKey: string;
  /** A tombstone's member in `reservationsKey`. */
  reservation(id: string, secretHash: string): string;
  /** Where cancels for a stream served elsewhere are published. */
  cancelChannel: string;
  /** Where this instance hears the answers to its cancels. */
  replyChannel: string;
};

export function createRedisKeys(prefix: string, instanceId: string): RedisKeys {
  return {
    // The `{<id>}` hash tag: both keys of a stream hash to the same Redis Cluster slot, so the Lua
    // scripts that touch both never fail with CROSSSLOT. (Ids are `[A-Za-z0-9_-]`, never a brace.)
    streamKey: (id) => `${prefix}{${id}}:stream`,
    tombstoneKey: (id, secretHash) => `${prefix}{${id}}:tomb:${secretHash}`,
    // One global count of tombstones, on a slot of its own: the scripts on a stream's slot cannot
    // touch it (CROSSSLOT), so a cancel reserves room here first, then leaves the tombstone there.
    reservationsKey: `${prefix}{tombstones}`,
    reservation: (id, secretHash) => `${id}:${secretHash}`,
    cancelChannel: `${prefix}cancel`,
    replyChannel: `${prefix}cancel-reply:${instanceId}`,
  };
}
