import { report } from '../core/internal/reportError';

/**
 * Writes of persisted stores that must not wait for their throttle when the page goes away (a
 * reload or a closed tab mid-stream: keep what was shown, not what was shown 500 ms before).
 *
 * One `pagehide` and one `visibilitychange` listener, added with the first store, serve every
 * store. The page's listeners live as long as the page, so each store's flush is held through a
 * `WeakRef`: an app (or a test) that creates stores and drops them does not leak them. The store
 * itself holds its flush strongly (`flushPersisted`), so a live store is always flushed. Without
 * `WeakRef` (very old engines) flushes are held strongly, as they always were.
 */

type Page = {
  addEventListener?: (type: string, listener: () => void) => void;
  document?: { visibilityState?: string };
};

type Held = { deref(): (() => void) | undefined };

/** Every store's flush, held weakly; made, with the page's listeners, by the first store. */
let flushes: Set<Held> | undefined;

/**
 * Adds the page's listeners, which flush every live store. Made here, not inside
 * `flushOnPageHide`: a listener made there would close over that call's `flush` and keep the first
 * store alive for good.
 */
function listen(page: Page): Set<Held> {
  const all = new Set<Held>();
  // A flush that throws (a store's `onError` did) is reported and does not keep the others from running.
  const flushAll = () => {
    for (const ref of all) {
      const live = ref.deref();
      try {
        if (live) live();
        else all.delete(ref);
      } catch (error) {
        report(error);
      }
    }
  };
  page.addEventListener!('pagehide', flushAll);
  page.addEventListener!('visibilitychange', () => {
    if (page.document?.visibilityState === 'hidden') flushAll();
  });
  return all;
}

/** Calls `flush` when the page is hidden or left, for as long as `flush` is reachable elsewhere. No-op without a page (SSR, workers). */
export function flushOnPageHide(flush: () => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  flushes ??= listen(page);
  for (const ref of flushes) if (!ref.deref()) flushes.delete(ref);
  flushes.add(typeof WeakRef === 'function' ? new WeakRef(flush) : { deref: () => flush });
}
