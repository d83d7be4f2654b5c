import type { StreamSessionSnapshot } from '../core/createStreamSession';
import { messagePatchFromSession } from '../store/messagePatchFromSession';
import type { Message } from '../store/types';

/** A turn's `Message` without a store (the store builds its own): a new object per call, so callers memoize. */
export function messageFromSnapshot(snapshot: StreamSessionSnapshot, id: string, createdAt: number): Message {
  const { incomplete, ...patch } = messagePatchFromSession(snapshot);
  const message = { id, role: 'assistant', text: '', reasoning: '', toolCalls: [], usage: null, status: 'streaming', finishReason: null, createdAt, updatedAt: Date.now(), ...patch } as Message;
  // Only an incomplete message has the key, as in the store (`'incomplete' in message` means it);
  // the same for the optional keys the patch sets to `undefined` (refusal, annotations, …).
  for (const key of Object.keys(message) as (keyof Message)[]) if (message[key] === undefined) delete message[key];
  if (incomplete) message.incomplete = incomplete;
  return message;
}
