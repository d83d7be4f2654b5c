import type { StoreApi } from 'zustand/vanilla';
import type { ThrottledStorage } from './createThrottledStorage';
import type { applyOtherTabWrite, OtherTabSync } from './applyOtherTabWrite';
import { loadedTabMerge, loadTabMerge } from './loadTabMerge';
import { onOtherTabWrite, type StorageEventLike } from './onOtherTabWrite';
import { sanitizeStoredData } from './sanitizeStoredData';
import type { MessageStoreData, MessageStoreState } from './types';
import type { WriteState } from './WriteState';

/**
 * Two tabs on one storage key: each merges what the other writes (`mergeFromOtherTab`), so that
 * neither overwrites the other's conversations. The merge is shown at once, and written back only
 * when the storage lacks something of this tab's; the revision tags (`WriteState`) decide whether
 * the other tab's write may delete.
 */

/** Each cross-tab store's storage-event handler, alive as long as the store (the page's listener holds it weakly). */
const handlers = new WeakMap<object, unknown>();

/**
 * Merges into `store` every write another tab makes to `name` (in `version`) of its `storage`, for
 * as long as the store lives. `local`: the page's `localStorage`.
 */
export function syncWithOtherTabs(store: StoreApi<MessageStoreState>, writer: ThrottledStorage<MessageStoreData>, write: WriteState, name: string, version: number, storage: unknown, local: unknown): void {
  /** Writes of another tab not merged yet, oldest first: they wait for the merge's chunk. */
  const pending: string[] = [];
  const sync: OtherTabSync = { store, writer, write, name, version, sanitize: sanitizeStoredData };
  /** Merges the pending writes, in order, once the merge is loaded. */
  const drain = (apply: typeof applyOtherTabWrite | undefined) => {
    if (apply) for (const newValue of pending.splice(0)) apply(newValue, sync);
  };
  const onStorage = (event: StorageEventLike) => {
    if (event.key !== name || event.newValue === null) return;
    // The same key in sessionStorage is another store.
    if (storage === local && event.storageArea != null && event.storageArea !== local) return;
    pending.push(event.newValue);
    // Loaded: at once. Else when the chunk arrives (a failed load keeps the writes for the next event's).
    if (loadedTabMerge()) drain(loadedTabMerge());
    else void loadTabMerge().then(drain);
  };
  onOtherTabWrite(onStorage);
  handlers.set(store, onStorage);
}
