import { createWeakHandlerSet } from './createWeakHandlerSet';

/**
 * Writes that other tabs of the page's origin make to `localStorage` (the `storage` event, which
 * fires in every tab but the writer). One listener, added with the first store, serves every
 * persisted store; each store's handler is held weakly (`createWeakHandlerSet`), as in
 * `flushOnPageHide`.
 */

/** What the store reads of a `StorageEvent`. */
export type StorageEventLike = { key: string | null; newValue: string | null; storageArea?: unknown };

type Page = { addEventListener?: (type: 'storage', listener: (event: StorageEventLike) => void) => void };

const handlers = /* @__PURE__ */ createWeakHandlerSet<StorageEventLike>();
let listening = false;

/** Calls `handler` for every `storage` event, for as long as `handler` is reachable elsewhere. No-op without a page (SSR, workers). */
export function onOtherTabWrite(handler: (event: StorageEventLike) => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  handlers.add(handler);
  if (listening) return;
  listening = true;
  page.addEventListener('storage', handlers.callAll);
}
