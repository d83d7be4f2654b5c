// Loaded on demand (loadTabMerge.ts), with the merge: this module and `mergeFromOtherTab` import
// none of the library's code at run time (what they need comes in `OtherTabSync`, the few lines
// they share with the store written out), so bundlers split off no shared chunk that every app
// would download (docs/size.md, "The cross-tab merge, loaded lazily").
import type { ThrottledStorage } from './createThrottledStorage';
import { mergeFromOtherTab } from './mergeFromOtherTab';
import type { sanitizeStoredData } from './sanitizeStoredData';
import type { MessageStoreData, MessageStoreState } from './types';
import type { WriteState } from './WriteState';
import type { StoreApi } from 'zustand/vanilla';

/** What a cross-tab store hands the merge of another tab's writes (syncWithOtherTabs.ts). */
export type OtherTabSync = {
  store: StoreApi<MessageStoreState>;
  writer: ThrottledStorage<MessageStoreData>;
  write: WriteState;
  name: string;
  version: number;
  sanitize: typeof sanitizeStoredData;
};

/** The data of the state (`partialize`, written out). */
const dataOf = ({ conversations, messages }: MessageStoreData): MessageStoreData => ({ conversations, messages });

/** A write's revision tag (`writeIdOf`, written out: `value` is a plain object here). */
const tagOf = (value: Record<string, unknown>, key: 'id' | 'parent') => (typeof value[key] === 'string' ? (value[key] as string) : null);

/**
 * Merges a value another tab wrote (`newValue`, the storage event's) into the store: shown at
 * once, and written back only when the storage lacks something of this tab's; the revision tags
 * (`WriteState`) decide whether the other tab's write may delete (see `mergeFromOtherTab`).
 */
export function applyOtherTabWrite(newValue: string, { store, writer, write, name, version, sanitize }: OtherTabSync): void {
  let value: unknown;
  try {
    value = JSON.parse(newValue);
  } catch {
    return;
  }
  // Another version of the app (a tab not yet reloaded after a deploy) is not merged.
  if (typeof value !== 'object' || value === null || Array.isArray(value) || (value as Record<string, unknown>).version !== version) return;
  const written = value as Record<string, unknown>;
  const theirs = sanitize(written.state);
  if (!theirs) return;
  const onTopOfOurs = write.baseId !== null && tagOf(written, 'parent') === write.baseId;
  const merge = mergeFromOtherTab(dataOf(store.getState()), theirs, onTopOfOurs ? write.base : null);
  write.baseId = tagOf(written, 'id');
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
    writer.setItem(name, { state: dataOf(store.getState()), version });
  }
}
