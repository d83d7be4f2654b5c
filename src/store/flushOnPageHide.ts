import { createWeakHandlers } from './createWeakHandlers';

/**
 * Writes of persisted stores that must not wait for their throttle when the page goes away (a
 * reload or a closed tab mid-stream: keep what was shown, not what was shown 500 ms before).
 *
 * One `pagehide` and one `visibilitychange` listener serve every store, and each store's flush is
 * held weakly (`createWeakHandlers`): the page's listeners never keep a store alive. The store
 * itself holds its flush strongly (`flushPersisted`), so a live store is always flushed.
 */

type Page = {
  addEventListener?: (type: string, listener: () => void) => void;
  document?: { visibilityState?: string };
};

const flushers = createWeakHandlers<void>();
/** The `addEventListener` our listeners were added with (tests replace the global's). */
let listeningWith: Page['addEventListener'] | null = null;

function flushAll() {
  flushers.call();
}

function onVisibilityChange() {
  if ((globalThis as Page).document?.visibilityState === 'hidden') flushAll();
}

/** Calls `flush` when the page is hidden or left, for as long as `flush` is reachable elsewhere. */
export function flushOnPageHide(flush: () => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  flushers.add(flush);
  if (listeningWith === page.addEventListener) return;
  listeningWith = page.addEventListener;
  page.addEventListener('pagehide', flushAll);
  page.addEventListener('visibilitychange', onVisibilityChange);
}
