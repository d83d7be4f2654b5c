import { createJSONStorage, persist, type PersistOptions, type StateStorage } from 'zustand/middleware';
import { createStore, type StateCreator } from 'zustand/vanilla';
import { createStoreWriter } from './createStoreWriter';
import { flushOnPageHide } from './flushOnPageHide';
import { mergeStored } from './mergeStored';
import { syncWithOtherTabs } from './syncWithOtherTabs';
import type { MessageStore, MessageStoreData, MessageStorePersistOptions, MessageStoreState } from './types';
import type { WriteState } from './WriteState';

/**
 * The persisted store: zustand's `persist` over a throttled writer (`createStoreWriter`), a flush
 * when the page is hidden (`flushOnPageHide`) and, on `localStorage`, the merge of other tabs'
 * writes (`syncWithOtherTabs`). Kept apart from the actions, which only say (through `WriteState`)
 * which changes are urgent.
 */

/** Default storage key. */
export const DEFAULT_STORAGE_NAME = 'react-model-stream';
/** Default longest wait before a streamed change is written to the storage, in ms. */
export const DEFAULT_PERSIST_THROTTLE_MS = 500;

/** `localStorage`, or `undefined` where there is none (SSR, workers) or it is blocked (its getter throws). */
function defaultStorage(): StateStorage | undefined {
  try {
    return typeof localStorage === 'undefined' || localStorage === null ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

function warnStorageError(error: unknown): void {
  console.warn('[react-model-stream] Could not read or write the persisted messages; the store keeps working in memory.', error);
}

/** The data, not the actions, is persisted. */
function partialize(state: MessageStoreState): MessageStoreData {
  return { conversations: state.conversations, messages: state.messages };
}

/** A store of `initialize`'s state kept in the storage `options` name, or `null` where there is no storage (SSR): the store then runs in memory. */
export function persistMessageStore(initialize: StateCreator<MessageStoreState>, options: MessageStorePersistOptions, write: WriteState): MessageStore | null {
  const storage = options.storage ?? defaultStorage();
  const jsonStorage = storage && createJSONStorage<MessageStoreData>(() => storage);
  if (!jsonStorage) return null;
  const name = options.name ?? DEFAULT_STORAGE_NAME;
  const version = options.version ?? 0;
  // Two tabs on one storage key: each merges what the other writes (see `syncWithOtherTabs`).
  // The browser tells a tab of other tabs' writes to localStorage only.
  const local = defaultStorage();
  const crossTab = options.crossTab ?? (local !== undefined && storage === local);
  const onError = options.onError ?? warnStorageError;
  const writer = createStoreWriter(jsonStorage, write, { throttleMs: options.throttleMs ?? DEFAULT_PERSIST_THROTTLE_MS, onError, crossTab });

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
  if (options.migrate) zustandOptions.migrate = options.migrate;
  const store = createStore<MessageStoreState>()(persist(initialize, zustandOptions));
  created = store;

  // A reload or a closed tab mid-stream: write what was shown, not what was shown up to 500 ms
  // before. Held weakly by the page's listeners; the store's `flushPersisted` keeps it alive.
  const flushPersisted = writer.flush;
  flushOnPageHide(flushPersisted);
  if (crossTab) syncWithOtherTabs(store, writer, write, { name, version, storage, local, partialize });
  return Object.assign(store, { flushPersisted });
}
