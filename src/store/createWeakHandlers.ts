/**
 * Handlers the page calls on behalf of stores (page hide, other tabs' writes), each held through a
 * `WeakRef`: the page's listeners never keep a store alive, so an app (or a test) that creates
 * stores and drops them does not leak them. The store holds its own handler strongly. Without
 * `WeakRef` (very old engines) handlers are held strongly, as they always were.
 */
export function createWeakHandlers<E>() {
  const refs = new Set<{ deref(): ((event: E) => void) | undefined }>();
  return {
    add(handler: (event: E) => void): void {
      for (const ref of refs) if (!ref.deref()) refs.delete(ref);
      refs.add(typeof WeakRef === 'function' ? new WeakRef(handler) : { deref: () => handler });
    },
    /** Calls every live handler; one that throws is reported and does not keep the others from running. */
    call(event: E): void {
      for (const ref of refs) {
        const handler = ref.deref();
        if (!handler) {
          refs.delete(ref);
          continue;
        }
        try {
          handler(event);
        } catch (error) {
          if (typeof reportError === 'function') reportError(error);
          else console.error(error);
        }
      }
    },
  };
}
