import { getOwn, withEntry } from './record';
import { repairInterruptedMessages } from './repairInterruptedMessages';
import { sanitizeStoredData } from './sanitizeStoredData';
import type { MessageStoreState } from './types';

/**
 * Hydration (zustand `persist`'s `merge`): the stored data, repaired (nothing can be streaming
 * after a reload), combined with whatever the store already holds (with an async storage the app
 * may have written before the stored state arrived). A message in both keeps the in-memory one (it
 * is newer, and may really be streaming); a conversation in both keeps the stored order, then the
 * in-memory additions.
 */
export function mergeStored(persisted: unknown, current: MessageStoreState): MessageStoreState {
  const stored = sanitizeStoredData(persisted);
  if (!stored) return current;
  const repaired = repairInterruptedMessages(stored);
  const messages = { ...repaired.messages, ...current.messages };
  let conversations = repaired.conversations;
  for (const [id, conversation] of Object.entries(current.conversations)) {
    const before = getOwn(conversations, id);
    let merged = conversation;
    if (before) {
      // A Set keeps insertion order: the stored ids, then the in-memory ones it lacks.
      const messageIds = [...new Set([...before.messageIds, ...conversation.messageIds])];
      merged = { ...before, ...conversation, messageIds };
    }
    conversations = withEntry(conversations, id, merged);
  }
  return { ...current, conversations, messages };
}
