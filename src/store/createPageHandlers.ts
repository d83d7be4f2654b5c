import { report } from '../core/internal/reportError';

/**
 * Handlers the page calls on behalf of persisted stores (page hide, other tabs' writes). One set of
 * page listeners, added with the first handler, serves every store. The page's listeners live as
 * long as the page, so each handler is held through a `WeakRef`: an app (or a test) that creates
 * stores and drops them does not leak them; the store holds its own handler strongly. Without
 * `WeakRef` (very old engines) handlers are held strongly, as they always were. Shared by
 * `flushOnPageHide` and `onOtherTabWrite` (one copy of this in the bundle, not two).
 */

/** The page as the stores use it (`globalThis` in a browser). */
export type Page = {
  // `any`: each module passes the listener for its own event type (a `storage` event, none).
  addEventListener?: (type: string, listener: (event: any) => void) => void;
  document?: { visibilityState?: string };
};

type Held<E> = { deref(): ((event: E) => void) | undefined };

/**
 * Adds the page's listeners (`listen`, given the function that calls every live handler) and
 * returns the handlers' set. Made here, not inside the adder below: a listener made there would
 * close over that call's `handler` and keep the first store alive for good.
 */
function listenOnce<E>(page: Page, listen: (page: Page, callAll: (event: E) => void) => void): Set<Held<E>> {
  const all = new Set<Held<E>>();
  // A handler that throws is reported and does not keep the others from running.
  listen(page, (event) => {
    for (const ref of all) {
      const live = ref.deref();
      try {
        if (live) live(event);
        else all.delete(ref);
      } catch (error) {
        report(error);
      }
    }
  });
  return all;
}

/**
 * The function that adds a handler, for as long as the handler is reachable elsewhere. The page's
 * listeners are added once (per module instance), with the first handler; without a page (SSR,
 * workers) nothing is added, and a page that appears later gets them with the next handler.
 */
export function createPageHandlers<E>(listen: (page: Page, callAll: (event: E) => void) => void): (handler: (event: E) => void) => void {
  let handlers: Set<Held<E>> | undefined;
  return (handler) => {
    const page = globalThis as Page;
    if (typeof page.addEventListener !== 'function') return;
    handlers ??= listenOnce(page, listen);
    for (const ref of handlers) if (!ref.deref()) handlers.delete(ref);
    handlers.add(typeof WeakRef === 'function' ? new WeakRef(handler) : { deref: () => handler });
  };
}
