import { createPageHandlers } from './createPageHandlers';

/**
 * Writes that other tabs of the page's origin make to `localStorage` (the `storage` event, which
 * fires in every tab but the writer). One listener, added with the first store, serves every
 * persisted store; each store's handler is held weakly (`createPageHandlers`), as in
 * `flushOnPageHide`.
 */

/** What the store reads of a `StorageEvent`. */
export type StorageEventLike = { key: string | null; newValue: string | null; storageArea?: unknown };

/** Calls `handler` for every `storage` event, for as long as `handler` is reachable elsewhere. No-op without a page (SSR, workers). */
export const onOtherTabWrite: (handler: (event: StorageEventLike) => void) => void = /* @__PURE__ */ createPageHandlers<StorageEventLike>((page, callAll) => {
  page.addEventListener!('storage', callAll);
});
