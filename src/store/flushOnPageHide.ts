import { createWeakHandlers } from './createWeakHandlers';

/**
 * Writes of persisted stores that must not wait for their throttle when the page goes away (a
 * reload or a closed tab mid-stream: keep what was shown, not what was shown 500 ms before).
 *
 * One `pagehide` and one `visibilitychange` listener serve every store, and each store's flush is
 * held weakly (`createWeakHandlers`): the page's listeners never keep a store alive. The store
 * itself holds its flush strongly (`flushPersisted`), so a live store is always flushed.
 */

type Page = { document?: { visibilityState?: string } };

/** Calls `flush` when the page is hidden or left, for as long as `flush` is reachable elsewhere. */
export const flushOnPageHide: (flush: () => void) => void = /* @__PURE__ */ createWeakHandlers<void>((flushAll) => [
  ['pagehide', flushAll],
  [
    'visibilitychange',
    () => {
      if ((globalThis as Page).document?.visibilityState === 'hidden') flushAll();
    },
  ],
]);
