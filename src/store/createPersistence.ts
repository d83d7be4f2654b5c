import { createJSONStorage, persist, type PersistOptions, type StateStorage } from 'zustand/middleware';
import type { StateCreator, StoreApi } from 'zustand/vanilla';
import { createStoreWriter } from './createStoreWriter';
import { flushOnPageHide } from './flushOnPageHide';
import { mergeStored } from './mergeStored';
import { partialize } from './partialize';
import { syncWithOtherTabs } from './syncWithOtherTabs';
import type { MessageStoreData, MessageStorePersistOptions, MessageStoreState } from './types';
import type { WriteState } from './WriteState';

/**
 * A persisted store's persistence, in zustand's way (a middleware around the state creator):
 * `persist` over a throttled writer (`createStoreWriter`), a flush when the page is hidden
 * (`flushOnPageHide`) and, on `localStorage`, the merge of other tabs' writes
 * (`syncWithOtherTabs`). Kept apart from the actions, which only say (through `WriteState`) which
 * changes are urgent.
 */

// An enum, not only the constants: a bundler (esbuild) writes an enum member's value in place,
// where it keeps top-level constants as variables. The exported constants keep their literal types.
enum Default {
  STORAGE_NAME = 'react-model-stream',
  PERSIST_THROTTLE_MS = 500,
}

/** Default storage key. */
export const DEFAULT_STORAGE_NAME: 'react-model-stream' = Default.STORAGE_NAME;
/** Default longest wait before a streamed change is written to the storage, in ms. */
export const DEFAULT_PERSIST_THROTTLE_MS: 500 = Default.PERSIST_THROTTLE_MS;

/** `localStorage`, or `undefined` where there is none (SSR, workers) or it is blocked (its getter throws). */
function defaultStorage(): StateStorage | undefined {
  try {
    return typeof localStorage === 'undefined' || localStorage === null ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

/** A persisted store's persistence: the state creator wrapped in zustand's `persist`, and what starts once the store exists. */
export type Persistence = {
  persist(initialize: StateCreator<MessageStoreState>): StateCreator<MessageStoreState, [], [['zustand/persist', MessageStoreData]]>;
  /** Flushes on page hide and, on `localStorage`, merges other tabs' writes; returns the store's `flushPersisted`. */
  start(store: StoreApi<MessageStoreState>): () => void;
};

/**
 * The persistence `options` ask for — `createStore()(persistence.persist(initialize))`, then
 * `persistence.start(store)` — or `null` where there is no storage (SSR): the store then runs
 * in memory.
 */
export function createPersistence(options: MessageStorePersistOptions, write: WriteState): Persistence | null {
  // The browser tells a tab of other tabs' writes to localStorage only.
  const local = defaultStorage();
  const storage = options.storage ?? local;
  const jsonStorage = storage && createJSONStorage<MessageStoreData>(() => storage);
  if (!jsonStorage) return null;
  const name = options.name ?? Default.STORAGE_NAME;
  const version = options.version ?? 0;
  // Two tabs on one storage key: each merges what the other writes (see `syncWithOtherTabs`).
  // (`storage` is defined here, so it is `local` only where there is a `localStorage`.)
  const crossTab = options.crossTab ?? storage === local;
  const onError =
    options.onError ??
    ((error: unknown) => {
      console.warn('[react-model-stream] Could not read or write the persisted messages; the store keeps working in memory.', error);
    });
  const writer = createStoreWriter(jsonStorage, write, options.throttleMs ?? Default.PERSIST_THROTTLE_MS, onError, crossTab);

  let created: StoreApi<MessageStoreState> | null = null;
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

  return {
    persist: (initialize) => persist(initialize, zustandOptions),
    start(store) {
      created = store;
      // A reload or a closed tab mid-stream: write what was shown, not what was shown up to 500 ms
      // before. Held weakly by the page's listeners; the store's `flushPersisted` keeps it alive.
      flushOnPageHide(writer.flush);
      if (crossTab) syncWithOtherTabs(store, writer, write, name, version, storage, local);
      return writer.flush;
    },
  };
}
