import { createWeakHandlers } from './createWeakHandlers';

/**
 * Writes that other tabs of the page's origin make to `localStorage` (the `storage` event, which
 * fires in every tab but the writer). One listener serves every persisted store; each store's
 * handler is held weakly (`createWeakHandlers`), as in `flushOnPageHide`.
 */

type StorageEventLike = { key: string | null; newValue: string | null; storageArea?: unknown };

/** Calls `handler` for every `storage` event, for as long as `handler` is reachable elsewhere. */
export const onOtherTabWrite: (handler: (event: StorageEventLike) => void) => void = /* @__PURE__ */ createWeakHandlers<StorageEventLike>((callAll) => [
  ['storage', callAll],
]);
