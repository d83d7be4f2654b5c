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
  /** A stream's resume log: a Redis Stream of entries with ids `<end>-0` (docs/resume.md, "Redis layout"). */
  logKey(id: string): string;
  /** The hash of a stream's log: `{ secretHash, contentType, aiSdk, framing, total, first, ended? }`. */
  logMetaKey(id: string): string;
  /** The sorted set of a stream's log readers: each reader's lease (while it reads) or last read, in ms. */
  logReadersKey(id: string): string;
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
    // The log's three keys share the tag too: its scripts touch all three at once.
    logKey: (id) => `${prefix}{${id}}:log`,
    logMetaKey: (id) => `${prefix}{${id}}:logmeta`,
    logReadersKey: (id) => `${prefix}{${id}}:readers`,
    // One global count of tombstones, on a slot of its own: the scripts on a stream's slot cannot
    // touch it (CROSSSLOT), so a cancel reserves room here first, then leaves the tombstone there.
    reservationsKey: `${prefix}{tombstones}`,
    reservation: (id, secretHash) => `${id}:${secretHash}`,
    cancelChannel: `${prefix}cancel`,
    replyChannel: `${prefix}cancel-reply:${instanceId}`,
  };
}
