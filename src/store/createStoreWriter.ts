import type { PersistStorage, StorageValue } from 'zustand/middleware';
import { createThrottledStorage, type ThrottledStorage } from './createThrottledStorage';
import type { MessageStoreData } from './types';
import { type WriteState, writeIdOf } from './WriteState';
import { sanitizeStoredData } from './sanitizeStoredData';

/**
 * The storage a persisted store writes through: the throttled storage, told by the shared
 * `WriteState` which writes are urgent (an action set `urgent`) and which are not ours to write
 * (`mergedOnly`: another tab's data, already stored). With `crossTab`, each write is tagged with
 * its revision (an id, and its parent: the stored value this tab knew) and a read or a write
 * moves this tab's `base` (see `WriteState`).
 */

/** The writer of a store persisted to `storage` (`throttleMs`, `onError`: the persist options; `crossTab`: tag the writes). */
export function createStoreWriter(
  storage: PersistStorage<MessageStoreData>,
  write: WriteState,
  throttleMs: number,
  onError: (error: unknown) => void,
  crossTab: boolean,
): ThrottledStorage<MessageStoreData> {
  // A random id for this tab's writes (ids only need to differ between tabs).
  const tabId = Math.random().toString(36).slice(2) + Date.now().toString(36);
  let writes = 0;
  return createThrottledStorage(storage, {
    throttleMs,
    takeUrgent: () => {
      const urgent = write.urgent;
      write.urgent = false;
      return urgent;
    },
    onError,
    // Only that exact state: a change a subscriber makes meanwhile is written as usual.
    skip: ({ state }) => write.mergedOnly !== null && state.messages === write.mergedOnly.messages && state.conversations === write.mergedOnly.conversations,
    stamp: crossTab
      ? (value) => {
          const id = `${tabId}:${(writes += 1)}`;
          const stamped = { ...value, id, parent: write.baseId } as StorageValue<MessageStoreData>;
          write.baseId = id;
          write.base = value.state;
          return stamped;
        }
      : undefined,
    onRead: crossTab
      ? (value) => {
          if (!value) return;
          write.baseId = writeIdOf(value, 'id');
          write.base = sanitizeStoredData(value.state);
        }
      : undefined,
  });
}
