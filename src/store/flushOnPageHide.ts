import { createPageHandlers } from './createPageHandlers';

/**
 * Writes of persisted stores that must not wait for their throttle when the page goes away (a
 * reload or a closed tab mid-stream: keep what was shown, not what was shown 500 ms before).
 *
 * One `pagehide` and one `visibilitychange` listener, added with the first store, serve every
 * store; each store's flush is held weakly (`createPageHandlers`), so the page's listeners never
 * keep a store alive. The store itself holds its flush strongly (`flushPersisted`), so a live
 * store is always flushed.
 */

/** Calls `flush` when the page is hidden or left, for as long as `flush` is reachable elsewhere. No-op without a page (SSR, workers). */
export const flushOnPageHide: (flush: () => void) => void = /* @__PURE__ */ createPageHandlers<void>((page, flushAll) => {
  page.addEventListener!('pagehide', flushAll);
  page.addEventListener!('visibilitychange', () => {
    if (page.document?.visibilityState === 'hidden') flushAll();
  });
});
