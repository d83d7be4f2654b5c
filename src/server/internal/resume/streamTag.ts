/**
 * A short tag of a stream id, written into every SSE event id (`<offset>.<tag>`). It is not a
 * secret (the cancel secret guards a resume): it makes a cursor copied from another stream a `400`
 * instead of a replay from a wrong offset. FNV-1a, 32 bits, in base 36.
 */
export function streamTag(streamId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
