import { report } from '../core/internal/reportError';
type PageListener<E> = (event: E) => void;
type Page = { addEventListener?: (type: string, listener: PageListener<any>) => void };

/**
 * Handlers the page calls on behalf of stores (page hide, other tabs' writes), each held through a
 * `WeakRef`: the page's listeners never keep a store alive, so an app (or a test) that creates
 * stores and drops them does not leak them. The store holds its own handler strongly. Without
 * `WeakRef` (very old engines) handlers are held strongly, as they always were.
 *
 * Returns the function that adds a handler. The page's listeners (`listeners(callAll)`: event type
 * and listener pairs) are added once, with the first handler, and serve every handler; where there
 * is no `addEventListener` (SSR, workers) nothing is added. They are added again when the global's
 * `addEventListener` is another one (tests replace it).
 */
export function createWeakHandlers<E>(listeners: (callAll: (event: E) => void) => [type: string, listener: PageListener<E>][]) {
  const refs = new Set<{ deref(): PageListener<E> | undefined }>();
  /** The `addEventListener` our listeners were added with. */
  let listeningWith: Page['addEventListener'] | null = null;

  /** Calls every live handler; one that throws is reported and does not keep the others from running. */
  const callAll = (event: E): void => {
    for (const ref of refs) {
      const handler = ref.deref();
      if (!handler) {
        refs.delete(ref);
        continue;
      }
      try {
        handler(event);
      } catch (error) {
        report(error);
      }
    }
  };

  return (handler: PageListener<E>): void => {
    const page = globalThis as Page;
    if (typeof page.addEventListener !== 'function') return;
    for (const ref of refs) if (!ref.deref()) refs.delete(ref);
    refs.add(typeof WeakRef === 'function' ? new WeakRef(handler) : { deref: () => handler });
    if (listeningWith === page.addEventListener) return;
    listeningWith = page.addEventListener;
    for (const [type, listener] of listeners(callAll)) page.addEventListener(type, listener);
  };
}
