import { createStore } from 'zustand/vanilla';
import { createMessageState } from './createMessageState';
import { createPersistence } from './createPersistence';
import type { MessageStore, MessageStoreData, MessageStoreOptions, MessageStoreState } from './types';
import type { WriteState } from './WriteState';

/*
 * The store's entry, kept to the wiring: the state and actions (`createMessageState`) on a plain
 * zustand store, or on a persisted one (`createPersistence`: the state creator wrapped in zustand's
 * `persist`, the throttled writer, the page-hide flush and the cross-tab merge). The one state
 * those parts share is the `WriteState` made here, an explicit object rather than closure
 * variables, so each part can live in its own module.
 */

export { DEFAULT_PERSIST_THROTTLE_MS, DEFAULT_STORAGE_NAME } from './createPersistence';

/**
 * Creates a zustand **vanilla** store of conversations and messages. Many messages may stream at
 * once (one per conversation, several conversations together): every update replaces only the
 * message that changed, so a selector on another message — or on a conversation's message list
 * while one of its messages streams — keeps returning the same value.
 *
 * State: `{ conversations, messages }` (both records keyed by id; a conversation holds ordered
 * `messageIds`) plus the actions, kept on the state in the zustand way
 * (`store.getState().appendMessage(…)`). Read a conversation with `getConversationMessages`.
 *
 * With `persist`, the data (not the actions) is kept in `localStorage` (or any `StateStorage`)
 * through zustand's `persist`. On load, every message left `streaming` or `stopping` is repaired to
 * `incomplete: { reason: 'disconnected' }`, so nothing spins forever after a reload. Streamed
 * changes are written at most every `throttleMs` (500 ms by default); structural and status changes
 * — hence every final state — at once, and pending ones when the page is hidden. Where there is no
 * `localStorage` (SSR) the store simply does not persist.
 *
 * @example
 * ```ts
 * import { createMessageStore, getConversationMessages } from 'react-model-stream/store';
 *
 * const store = createMessageStore({ persist: { name: 'my-chat' } });
 * const { createConversation, appendMessage, applySessionSnapshot } = store.getState();
 *
 * const chat = createConversation({ title: 'Trip' });
 * appendMessage(chat.id, { role: 'user', text: 'Plan a day in Lyon' });
 * const answer = appendMessage(chat.id, { role: 'assistant', status: 'streaming' });
 * session.subscribe(() => applySessionSnapshot(answer.id, session.getSnapshot()));
 *
 * getConversationMessages(store.getState(), chat.id); // [user message, assistant message]
 * ```
 */
export function createMessageStore(options: MessageStoreOptions = {}): MessageStore {
  const write: WriteState = { urgent: false, baseId: null, base: null, mergedOnly: null };
  const initialize = (set: (partial: Partial<MessageStoreData>) => unknown, get: () => MessageStoreState) => createMessageState(set, get, write, options);
  const persistOptions = options.persist === true ? {} : options.persist || null;
  const persistence = persistOptions && createPersistence(persistOptions, write);
  const store = createStore<MessageStoreState>()(persistence ? persistence.persist(initialize) : initialize);
  return Object.assign(store, { flushPersisted: persistence ? persistence.start(store) : () => {} });
}
