import { report } from '../core/internal/reportError';

/**
 * Writes that other tabs of the page's origin make to `localStorage` (the `storage` event, which
 * fires in every tab but the writer). One listener, added with the first store, serves every
 * persisted store; each store's handler is held through a `WeakRef`, as in `flushOnPageHide` (the
 * page's listener must not keep a dropped store alive; the store holds its handler strongly).
 */

/** What the store reads of a `StorageEvent`. */
export type StorageEventLike = { key: string | null; newValue: string | null; storageArea?: unknown };

type Page = { addEventListener?: (type: 'storage', listener: (event: StorageEventLike) => void) => void };

type Held = { deref(): ((event: StorageEventLike) => void) | undefined };

/** Every store's handler, held weakly; made, with the page's listener, by the first store. */
let handlers: Set<Held> | undefined;

/**
 * Adds the page's listener, which calls every live handler. Made here, not inside
 * `onOtherTabWrite`: a listener made there would close over that call's `handler` and keep the
 * first store alive for good.
 */
function listen(page: Page): Set<Held> {
  const all = new Set<Held>();
  // A handler that throws is reported and does not keep the others from running.
  page.addEventListener!('storage', (event) => {
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

/** Calls `handler` for every `storage` event, for as long as `handler` is reachable elsewhere. No-op without a page (SSR, workers). */
export function onOtherTabWrite(handler: (event: StorageEventLike) => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  handlers ??= listen(page);
  for (const ref of handlers) if (!ref.deref()) handlers.delete(ref);
  handlers.add(typeof WeakRef === 'function' ? new WeakRef(handler) : { deref: () => handler });
}
