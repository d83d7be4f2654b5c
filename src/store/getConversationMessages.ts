import { getOwn } from './record';
import type { Message, MessageStoreData } from './types';

const EMPTY: readonly Message[] = Object.freeze([]);

type Entry = { messages: Record<string, Message>; result: readonly Message[] };

// Keyed by the conversation's `messageIds` array: it is replaced exactly when the list changes
// (not on a title change, not while a message streams), and a WeakMap lets it go with the state.
const cache = new WeakMap<readonly string[], Entry>();

/**
 * The messages of a conversation, in order. Memoized per conversation: the same array is returned
 * while neither the conversation's message list nor any of its messages changed — so it can be a
 * `useSyncExternalStore` / `useStore` selector as is, and a message streaming in another
 * conversation does not re-render this one. An unknown conversation gives a shared empty array.
 *
 * @example
 * ```ts
 * const messages = useStore(store, (state) => getConversationMessages(state, conversationId));
 * ```
 */
export function getConversationMessages(state: MessageStoreData, conversationId: string): readonly Message[] {
  const conversation = getOwn(state.conversations, conversationId);
  if (!conversation) return EMPTY;
  const ids = conversation.messageIds;
  const cached = cache.get(ids);
  // Nothing anywhere changed since the last call: O(1).
  if (cached && cached.messages === state.messages) return cached.result;

  const result: Message[] = [];
  for (const id of ids) {
    const message = getOwn(state.messages, id);
    if (message) result.push(message);
  }
  if (cached && cached.result.length === result.length && cached.result.every((message, i) => message === result[i])) {
    // Only messages of other conversations changed.
    cached.messages = state.messages;
    return cached.result;
  }
  cache.set(ids, { messages: state.messages, result });
  return result;
}
