import type { StoreApi } from 'zustand/vanilla';
import type { ThrottledStorage } from './createThrottledStorage';
import { isPlainObject } from './isPlainObject';
import { mergeFromOtherTab } from './mergeFromOtherTab';
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
  const onStorage = (event: StorageEventLike) => {
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
    const theirs = sanitizeStoredData(value.state);
    if (!theirs) return;
    const onTopOfOurs = write.baseId !== null && writeIdOf(value, 'parent') === write.baseId;
    const merge = mergeFromOtherTab(partialize(store.getState()), theirs, onTopOfOurs ? write.base : null);
    write.baseId = writeIdOf(value, 'id');
    write.base = theirs;
    if (merge.changed) {
      // Shown here; written back only when the storage lacks something of ours.
      write.mergedOnly = merge.behind ? null : merge.data;
      try {
        store.setState(merge.data);
      } finally {
        write.mergedOnly = null;
      }
    } else if (merge.behind) {
      writer.setItem(name, { state: partialize(store.getState()), version });
    }
  };
  onOtherTabWrite(onStorage);
  handlers.set(store, onStorage);
}
