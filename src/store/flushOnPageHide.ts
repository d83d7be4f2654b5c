import { createWeakHandlerSet } from './createWeakHandlerSet';

/**
 * Writes of persisted stores that must not wait for their throttle when the page goes away (a
 * reload or a closed tab mid-stream: keep what was shown, not what was shown 500 ms before).
 *
 * One `pagehide` and one `visibilitychange` listener, added with the first store, serve every
 * store; each store's flush is held weakly (`createWeakHandlerSet`), so the page's listeners never
 * keep a store alive. The store itself holds its flush strongly (`flushPersisted`), so a live
 * store is always flushed.
 */

type Page = {
  addEventListener?: (type: string, listener: () => void) => void;
  document?: { visibilityState?: string };
};

const flushes = /* @__PURE__ */ createWeakHandlerSet<void>();
let listening = false;

/** Calls `flush` when the page is hidden or left, for as long as `flush` is reachable elsewhere. No-op without a page (SSR, workers). */
export function flushOnPageHide(flush: () => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  flushes.add(flush);
  if (listening) return;
  listening = true;
  const flushAll = () => flushes.callAll();
  page.addEventListener('pagehide', flushAll);
  page.addEventListener('visibilitychange', () => {
    if (page.document?.visibilityState === 'hidden') flushAll();
  });
}
