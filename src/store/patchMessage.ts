import { isPlainObject } from './isPlainObject';
import type { Message, MessagePatch } from './types';

/**
 * `updateMessage`'s rule, pure: which keys a patch may change, and when a patch changes nothing
 * (then the store keeps its state object and notifies no one — a session re-sending the same
 * snapshot must not re-render every subscriber).
 */

/** The keys `updateMessage` may change (`id` and `createdAt` never change). */
const PATCH_KEYS = [
  'role',
  'text',
  'reasoning',
  'toolCalls',
  'usage',
  'status',
  'finishReason',
  'incomplete',
  'streamId',
  'responseId',
  'refusal',
  'annotations',
  'stopSequence',
  'reasoningParts',
  'updatedAt',
] as const satisfies readonly (keyof MessagePatch)[];

/** `Object.is`, or equal own keys with `Object.is` values for two plain objects (`usage`, `incomplete`). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && Object.is(a[key], b[key]));
}

/** `current` with `patch` applied (a new object, `updatedAt` from `now()` unless the patch sets it), or `null` when the patch changes nothing. */
export function patchMessage(current: Message, patch: MessagePatch, now: () => number): Message | null {
  let next: Record<string, unknown> | null = null;
  for (const key of PATCH_KEYS) {
    if (!Object.hasOwn(patch, key)) continue;
    const value = patch[key];
    const before = current[key];
    // `sameValue` also says whether a removal (`undefined`) finds the key already absent.
    if (sameValue(before, value)) continue;
    next ??= { ...current };
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  if (!next) return null;
  const message = next as Message;
  // `incomplete` describes an incomplete message only; a resumed or completed one drops it.
  if (message.status !== 'incomplete') delete message.incomplete;
  if (!Object.hasOwn(patch, 'updatedAt') || patch.updatedAt === undefined) message.updatedAt = now();
  return message;
}
