import { isPlainObject } from './isPlainObject';
import type { MessageStoreData } from './types';

/**
 * The state a persisted store's three parts share: the message actions (which say a change must be
 * written at once), the storage writer (which writes, and tags each write) and the cross-tab sync
 * (which merges the other tabs' writes). One explicit object instead of closure variables, so
 * each part can live in its own module and what each reads and sets is visible at the use.
 *
 * Cross-tab revisions: each write is tagged with an id and the id of the stored value its tab knew
 * when writing (its parent). `base` is the stored value this tab last read, heard or wrote; a write
 * whose parent is that value was made on top of it, so what it lacks was deleted there. Any other
 * write may just not have seen ours: it adds and updates, never deletes (`mergeFromOtherTab`).
 */
export type WriteState = {
  /** Set by an action whose change must be written at once; read and reset by the writer. */
  urgent: boolean;
  /** The id of the stored value this tab last read, heard or wrote (`null`: none, or untagged). */
  baseId: string | null;
  /** That stored value's data. */
  base: MessageStoreData | null;
  /** Merged data being shown that the storage already holds: not written back. */
  mergedOnly: MessageStoreData | null;
};

/** The write id (or parent id) of a stored value; `null` when it has none (written by an older version or `crossTab: false`). */
export function writeIdOf(value: unknown, key: 'id' | 'parent'): string | null {
  const id = isPlainObject(value) ? value[key] : undefined;
  return typeof id === 'string' ? id : null;
}
