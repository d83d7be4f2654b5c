import { createWeakHandlers } from './createWeakHandlers';

/**
 * Writes that other tabs of the page's origin make to `localStorage` (the `storage` event, which
 * fires in every tab but the writer). One listener serves every persisted store; each store's
 * handler is held weakly (`createWeakHandlers`), as in `flushOnPageHide`.
 */

type StorageEventLike = { key: string | null; newValue: string | null; storageArea?: unknown };
type Page = { addEventListener?: (type: string, listener: (event: StorageEventLike) => void) => void };

const handlers = createWeakHandlers<StorageEventLike>();
/** The `addEventListener` our listener was added with (tests replace the global's). */
let listeningWith: Page['addEventListener'] | null = null;

/** Calls `handler` for every `storage` event, for as long as `handler` is reachable elsewhere. */
export function onOtherTabWrite(handler: (event: StorageEventLike) => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  handlers.add(handler);
  if (listeningWith === page.addEventListener) return;
  listeningWith = page.addEventListener;
  page.addEventListener('storage', handlers.call);
}
