/**
 * Writes that other tabs of the page's origin make to `localStorage` (the `storage` event, which
 * fires in every tab but the writer). One listener serves every persisted store, and each store's
 * handler is held through a `WeakRef`, as in `flushOnPageHide`: the page never keeps a store alive.
 */

type StorageEventLike = { key: string | null; newValue: string | null; storageArea?: unknown };
type Handler = (event: StorageEventLike) => void;
type Page = { addEventListener?: (type: string, listener: (event: StorageEventLike) => void) => void };

const handlers = new Set<{ deref(): Handler | undefined }>();
let listeningWith: Page['addEventListener'] | null = null;

function dispatch(event: StorageEventLike) {
  for (const ref of handlers) {
    const handler = ref.deref();
    if (!handler) {
      handlers.delete(ref);
      continue;
    }
    try {
      handler(event);
    } catch (error) {
      if (typeof reportError === 'function') reportError(error);
      else console.error(error);
    }
  }
}

/** Calls `handler` for every `storage` event, for as long as `handler` is reachable elsewhere. */
export function onOtherTabWrite(handler: Handler): void {
  const page = globalThis as Page;
  if (typeof page.addEventListener !== 'function') return;
  for (const ref of handlers) if (!ref.deref()) handlers.delete(ref);
  handlers.add(typeof WeakRef === 'function' ? new WeakRef(handler) : { deref: () => handler });
  if (listeningWith === page.addEventListener) return;
  listeningWith = page.addEventListener;
  page.addEventListener('storage', dispatch);
}
