import { createJSONStorage, persist, type PersistOptions, type StateStorage, type StorageValue } from 'zustand/middleware';
import { createStore } from 'zustand/vanilla';
import { createThrottledStorage } from './createThrottledStorage';
import { flushOnPageHide } from './flushOnPageHide';
import { mergeFromOtherTab } from './mergeFromOtherTab';
import { onOtherTabWrite } from './onOtherTabWrite';
import { MessageStoreError } from './MessageStoreError';
import { messagePatchFromSession } from './messagePatchFromSession';
import { getOwn, withEntry, withoutEntries } from './record';
import { repairInterruptedMessages } from './repairInterruptedMessages';
import type {
  Conversation,
  Message,
  MessagePatch,
  MessageStore,
  MessageStoreData,
  MessageStoreOptions,
  MessageStorePersistOptions,
  MessageStoreState,
} from './types';

/** Default storage key. */
export const DEFAULT_STORAGE_NAME = 'react-model-stream';
/** Default longest wait before a streamed change is written to the storage, in ms. */
export const DEFAULT_PERSIST_THROTTLE_MS = 500;

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
  'updatedAt',
] as const satisfies readonly (keyof MessagePatch)[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Object.is`, or equal own keys with `Object.is` values for two plain objects (`usage`, `incomplete`). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && Object.is(a[key], b[key]));
}

function defaultGenerateId(): string {
  return globalThis.crypto.randomUUID();
}

/** `localStorage`, or `undefined` where there is none (SSR, workers) or it is blocked (its getter throws). */
function defaultStorage(): StateStorage | undefined {
  try {
    return typeof localStorage === 'undefined' || localStorage === null ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

function emptyData(): MessageStoreData {
  return { conversations: {}, messages: {} };
}

/** Drops whatever in a stored state is not the data shape (a corrupted or foreign entry must not crash the app). */
function sanitize(persisted: unknown): MessageStoreData | null {
  if (!isPlainObject(persisted) || !isPlainObject(persisted.conversations) || !isPlainObject(persisted.messages)) return null;
  const messages: [string, Message][] = [];
  for (const [id, message] of Object.entries(persisted.messages)) {
    if (isPlainObject(message) && typeof message.id === 'string' && typeof message.status === 'string' && typeof message.text === 'string') {
      // A corrupted tool call must not fail the whole hydration (zustand would then start empty and
      // the next write would overwrite the stored history): only object entries are kept.
      const toolCalls = Array.isArray(message.toolCalls) ? message.toolCalls.filter(isPlainObject) : [];
      messages.push([id, { ...message, toolCalls } as Message]);
    }
  }
  const conversations: [string, Conversation][] = [];
  for (const [id, conversation] of Object.entries(persisted.conversations)) {
    if (isPlainObject(conversation) && Array.isArray(conversation.messageIds)) {
      const messageIds = conversation.messageIds.filter((messageId): messageId is string => typeof messageId === 'string');
      conversations.push([id, { ...conversation, messageIds } as Conversation]);
    }
  }
  return { conversations: Object.fromEntries(conversations), messages: Object.fromEntries(messages) };
}

/** The write id (or parent id) of a stored value; `null` when it has none (written by an older version or `crossTab: false`). */
function writeIdOf(value: unknown, key: 'id' | 'parent'): string | null {
  const id = isPlainObject(value) ? value[key] : undefined;
  return typeof id === 'string' ? id : null;
}

/** A random id for this tab's writes (ids only need to differ between tabs). */
function createTabId(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/** Each cross-tab store's storage-event handler, alive as long as the store. */
const tabSync = new WeakMap<object, unknown>();

/**
 * Hydration: the stored data, repaired (nothing can be streaming after a reload), combined with
 * whatever the store already holds (with an async storage the app may have written before the
 * stored state arrived). A message in both keeps the in-memory one (it is newer, and may really be
 * streaming); a conversation in both keeps the stored order, then the in-memory additions.
 */
function mergeStored(persisted: unknown, current: MessageStoreState): MessageStoreState {
  const stored = sanitize(persisted);
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
  const now = options.now ?? Date.now;
  const generateId = options.generateId ?? defaultGenerateId;
  // Set by an action whose change a persisted store must write at once (read and reset by the writer).
  let urgentWrite = false;

  const initialize = (set: (partial: Partial<MessageStoreData>) => unknown, get: () => MessageStoreState): MessageStoreState => {
    const commit = (partial: Partial<MessageStoreData>, urgent: boolean) => {
      if (urgent) urgentWrite = true;
      try {
        set(partial);
      } finally {
        urgentWrite = false;
      }
    };

    const newConversation = (id: string, title: string | undefined, at: number): Conversation => {
      const conversation: Conversation = { id, messageIds: [], createdAt: at, updatedAt: at };
      if (title !== undefined) conversation.title = title;
      return conversation;
    };

    const updateMessage: MessageStoreState['updateMessage'] = (messageId, patchOrFn) => {
      const state = get();
      const current = getOwn(state.messages, messageId);
      if (!current) return undefined;
      const patch = typeof patchOrFn === 'function' ? patchOrFn(current) : patchOrFn;
      let next: Record<string, unknown> | null = null;
      for (const key of PATCH_KEYS) {
        if (!Object.hasOwn(patch, key)) continue;
        const value = patch[key];
        const before = current[key];
        if (value === undefined ? before === undefined : sameValue(before, value)) continue;
        next ??= { ...current };
        if (value === undefined) delete next[key];
        else next[key] = value;
      }
      if (!next) return current;
      const message = next as Message;
      // `incomplete` describes an incomplete message only; a resumed or completed one drops it.
      if (message.status !== 'incomplete') delete message.incomplete;
      if (!Object.hasOwn(patch, 'updatedAt') || patch.updatedAt === undefined) message.updatedAt = now();
      commit({ messages: withEntry(state.messages, messageId, message) }, message.status !== current.status);
      return message;
    };

    return {
      ...emptyData(),

      createConversation(input = {}) {
        const state = get();
        const id = input.id ?? generateId();
        const existing = getOwn(state.conversations, id);
        if (existing) return existing;
        const conversation = newConversation(id, input.title, now());
        commit({ conversations: withEntry(state.conversations, id, conversation) }, true);
        return conversation;
      },

      updateConversation(conversationId, patch) {
        const state = get();
        const conversation = getOwn(state.conversations, conversationId);
        if (!conversation || !Object.hasOwn(patch, 'title') || conversation.title === patch.title) return;
        // The same `messageIds` array: a title change does not touch the message list's memo.
        const next: Conversation = { ...conversation, updatedAt: now() };
        if (patch.title === undefined) delete next.title;
        else next.title = patch.title;
        commit({ conversations: withEntry(state.conversations, conversationId, next) }, true);
      },

      appendMessage(conversationId, input) {
        const state = get();
        const id = input.id ?? generateId();
        if (Object.hasOwn(state.messages, id)) {
          throw new MessageStoreError(
            'duplicate-message-id',
            `A message with id "${id}" is already in the store. Use updateMessage to change it, or leave the id out to get a fresh one.`,
          );
        }
        const at = now();
        const message: Message = {
          id,
          role: input.role,
          text: input.text ?? '',
          reasoning: input.reasoning ?? '',
          toolCalls: input.toolCalls ?? [],
          usage: input.usage ?? null,
          status: input.status ?? 'complete',
          finishReason: input.finishReason ?? null,
          createdAt: input.createdAt ?? at,
          updatedAt: input.updatedAt ?? at,
        };
        if (input.incomplete !== undefined && message.status === 'incomplete') message.incomplete = input.incomplete;
        if (input.streamId !== undefined) message.streamId = input.streamId;
        if (input.responseId !== undefined) message.responseId = input.responseId;
        const conversation = getOwn(state.conversations, conversationId) ?? newConversation(conversationId, undefined, at);
        const nextConversation: Conversation = { ...conversation, messageIds: [...conversation.messageIds, id], updatedAt: at };
        commit(
          {
            conversations: withEntry(state.conversations, conversationId, nextConversation),
            messages: withEntry(state.messages, id, message),
          },
          true,
        );
        return message;
      },

      updateMessage,

      applySessionSnapshot(messageId, snapshot) {
        return updateMessage(messageId, messagePatchFromSession(snapshot));
      },

      removeMessage(messageId) {
        const state = get();
        if (!Object.hasOwn(state.messages, messageId)) return;
        let conversations = state.conversations;
        const at = now();
        for (const [id, conversation] of Object.entries(state.conversations)) {
          if (!conversation.messageIds.includes(messageId)) continue;
          const next: Conversation = {
            ...conversation,
            messageIds: conversation.messageIds.filter((other) => other !== messageId),
            updatedAt: at,
          };
          conversations = withEntry(conversations, id, next);
        }
        commit({ conversations, messages: withoutEntries(state.messages, [messageId]) }, true);
      },

      removeConversation(conversationId) {
        const state = get();
        const conversation = getOwn(state.conversations, conversationId);
        if (!conversation) return;
        commit(
          {
            conversations: withoutEntries(state.conversations, [conversationId]),
            messages: withoutEntries(state.messages, conversation.messageIds),
          },
          true,
        );
      },

      clear() {
        commit(emptyData(), true);
      },
    };
  };

  const persistOptions: MessageStorePersistOptions | null =
    options.persist === true ? {} : options.persist ? options.persist : null;
  const storage = persistOptions ? (persistOptions.storage ?? defaultStorage()) : undefined;
  const jsonStorage = storage ? createJSONStorage<MessageStoreData>(() => storage) : undefined;

  if (!persistOptions || !jsonStorage) {
    const store = createStore<MessageStoreState>()(initialize);
    return Object.assign(store, { flushPersisted() {} });
  }

  const name = persistOptions.name ?? DEFAULT_STORAGE_NAME;
  const version = persistOptions.version ?? 0;
  // Two tabs on one storage key: each merges what the other writes (see `mergeFromOtherTab`).
  // The browser tells a tab of other tabs' writes to localStorage only.
  const local = defaultStorage();
  const crossTab = persistOptions.crossTab ?? (local !== undefined && storage === local);
  // Each write is tagged with an id and the id of the stored value its tab knew when writing (its
  // parent). `base` is the stored value this tab last read, heard or wrote; a write whose parent is
  // that value was made on top of it, so what it lacks was deleted there. Any other write may just
  // not have seen ours: it adds and updates, never deletes.
  const tabId = createTabId();
  let writes = 0;
  let baseId: string | null = null;
  let base: MessageStoreData | null = null;
  // The merged data being shown, which the storage already holds: not written back.
  let mergedOnly: MessageStoreData | null = null;

  const onError =
    persistOptions.onError ??
    ((error: unknown) => {
      console.warn('[react-model-stream] Could not read or write the persisted messages; the store keeps working in memory.', error);
    });
  const writer = createThrottledStorage(jsonStorage, {
    throttleMs: persistOptions.throttleMs ?? DEFAULT_PERSIST_THROTTLE_MS,
    takeUrgent: () => {
      const urgent = urgentWrite;
      urgentWrite = false;
      return urgent;
    },
    onError,
    // Only that exact state: a change a subscriber makes meanwhile is written as usual.
    skip: (value) => mergedOnly !== null && value.state.messages === mergedOnly.messages && value.state.conversations === mergedOnly.conversations,
    stamp: crossTab
      ? (value) => {
          const id = `${tabId}:${(writes += 1)}`;
          const stamped = { ...value, id, parent: baseId } as StorageValue<MessageStoreData>;
          baseId = id;
          base = value.state;
          return stamped;
        }
      : undefined,
    onRead: crossTab
      ? (value) => {
          if (!value) return;
          baseId = writeIdOf(value, 'id');
          base = sanitize(value.state);
        }
      : undefined,
  });

  const partialize = (state: MessageStoreState): MessageStoreData => ({ conversations: state.conversations, messages: state.messages });
  let created: { getState: () => MessageStoreState } | null = null;
  const zustandOptions: PersistOptions<MessageStoreState, MessageStoreData> = {
    name,
    storage: writer,
    version,
    partialize,
    merge: mergeStored,
    onRehydrateStorage: () => (state, error) => {
      if (error !== undefined) onError(error);
      writer.hydrated(() => {
        const current = state ?? created?.getState();
        return current ? { state: partialize(current), version } : undefined;
      });
    },
  };
  if (persistOptions.migrate) zustandOptions.migrate = persistOptions.migrate;

  const store = createStore<MessageStoreState>()(persist(initialize, zustandOptions));
  created = store;

  // A reload or a closed tab mid-stream: write what was shown, not what was shown up to 500 ms
  // before. Held weakly by the page's listeners; the store's `flushPersisted` keeps it alive.
  const flushPersisted = writer.flush;
  flushOnPageHide(flushPersisted);

  if (crossTab) {
    const onStorage = (event: { key: string | null; newValue: string | null; storageArea?: unknown }) => {
      if (event.key !== name || event.newValue === null) return;
      // The same key in sessionStorage is another store.
      if (storage === local && event.storageArea != null && event.storageArea !== local) return;
      let value: unknown;
      try {
        value = JSON.parse(event.newValue);
      } catch {
        return;
      }
      // Another version of the app (a tab not yet reloaded after a deploy) is not merged.
      if (!isPlainObject(value) || value.version !== version) return;
      const theirs = sanitize(value.state);
      if (!theirs) return;
      const onTopOfOurs = baseId !== null && writeIdOf(value, 'parent') === baseId;
      const merge = mergeFromOtherTab(partialize(store.getState()), theirs, onTopOfOurs ? base : null);
      baseId = writeIdOf(value, 'id');
      base = theirs;
      if (merge.changed) {
        // Shown here; written back only when the storage lacks something of ours.
        mergedOnly = merge.behind ? null : merge.data;
        try {
          store.setState(merge.data);
        } finally {
          mergedOnly = null;
        }
      } else if (merge.behind) {
        writer.setItem(name, { state: partialize(store.getState()), version });
      }
    };
    onOtherTabWrite(onStorage);
    // Held by the store (the page's listener holds it weakly).
    tabSync.set(store, onStorage);
  }

  return Object.assign(store, { flushPersisted });
}
