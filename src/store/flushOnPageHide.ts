/**
 * Writes of persisted stores that must not wait for their throttle when the page goes away (a
 * reload or a closed tab mid-stream: keep what was shown, not what was shown 500 ms before).
 *
 * One `pagehide` and one `visibilitychange` listener serve every store, and each store's flush is
 * held through a `WeakRef`: the page's listeners never keep a store alive, so an app (or a test)
 * that creates stores and drops them does not leak them. The store itself holds its flush strongly
 * (`flushPersisted`), so a live store is always flushed.
 */

type Page = {
  addEventListener?: (type: string, listener: () => void) => void;
  document?: { visibilityState?: string };
};

const flushers = new Set<{ deref(): (() => void) | undefined }>();
/** The `addEventListener` our listeners were added with (tests replace the global's). */
let listeningWith: Page['addEventListener'] | null = null;

function flushAll() {
  for (const ref of flushers) {
    const flush = ref.deref();
    if (!flush) {
      flushers.delete(ref);
      continue;
    }
    // One store's failure (its `onError` threw) must not keep the others from being written.
    try {
      flush();
    } catch (error) {
      if (typeof reportError === 'function') reportError(error);
      else console.error(error);
    }
  }
}

function onVisibilityChange() {
  if ((globalThis as Page).document?.visibilityState === 'hidden') flushAll();
}

/** Calls `flush` when the page is hidden or left, for as long as `flush` is reachable elsewhere. */
export function flushOnPageHide(flush: () => void): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  for (const ref of flushers) if (!ref.deref()) flushers.delete(ref);
  // Without WeakRef (very old engines) the store stays reachable, as it always did before.
  flushers.add(typeof WeakRef === 'function' ? new WeakRef(flush) : { deref: () => flush });
  if (listeningWith === page.addEventListener) return;
  listeningWith = page.addEventListener;
  page.addEventListener('pagehide', flushAll);
  page.addEventListener('visibilitychange', onVisibilityChange);
}
