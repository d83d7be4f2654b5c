import type { StoreApi } from 'zustand/vanilla';
import type { ThrottledStorage } from './createThrottledStorage';
import { isPlainObject } from './isPlainObject';
import { loadedTabMerge, loadTabMerge } from './loadTabMerge';
import type { mergeFromOtherTab } from './mergeFromOtherTab';
import { onOtherTabWrite, type StorageEventLike } from './onOtherTabWrite';
import { partialize } from './partialize';
import { sanitizeStoredData } from './sanitizeStoredData';
import type { MessageStoreData, MessageStoreState } from './types';
import { type WriteState, writeIdOf } from './WriteState';

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
  const apply = (newValue: string, merge: typeof mergeFromOtherTab) => {
    let value: unknown;
    try {
      value = JSON.parse(newValue);
    } catch {
      return;
    }
    // Another version of the app (a tab not yet reloaded after a deploy) is not merged.
    if (!isPlainObject(value) || value.version !== version) return;
    const theirs = sanitizeStoredData(value.state);
    if (!theirs) return;
    const onTopOfOurs = write.baseId !== null && writeIdOf(value, 'parent') === write.baseId;
    const merged = merge(partialize(store.getState()), theirs, onTopOfOurs ? write.base : null);
    write.baseId = writeIdOf(value, 'id');
    write.base = theirs;
    if (merged.changed) {
      // Shown here; written back only when the storage lacks something of ours.
      write.mergedOnly = merged.behind ? null : merged.data;
      try {
        store.setState(merged.data);
      } finally {
        write.mergedOnly = null;
      }
    } else if (merged.behind) {
      writer.setItem(name, { state: partialize(store.getState()), version });
    }
  };
  /** Merges the pending writes, in order, with the merge once it is loaded. */
  const drain = (merge: typeof mergeFromOtherTab | undefined) => {
    if (merge) for (const newValue of pending.splice(0)) apply(newValue, merge);
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
