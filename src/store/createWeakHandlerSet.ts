import { report } from '../core/internal/reportError';

/**
 * The page calls persisted stores back (page hide, other tabs' writes) through its own listeners,
 * which live as long as the page: were a store's handler held by them strongly, an app (or a test)
 * that creates stores and drops them would leak every one. So each handler is held through a
 * `WeakRef`, and the store holds its own handler strongly. Without `WeakRef` (very old engines)
 * handlers are held strongly, as they always were.
 */

/** Handlers held weakly, called together. */
export type WeakHandlerSet<E> = {
  /** Holds `handler` weakly (and forgets the handlers already collected). */
  add(handler: (event: E) => void): void;
  /** Calls every live handler; one that throws is reported and does not keep the others from running. */
  callAll(event: E): void;
};

export function createWeakHandlerSet<E>(): WeakHandlerSet<E> {
  const refs = new Set<{ deref(): ((event: E) => void) | undefined }>();
  return {
    add(handler) {
      for (const ref of refs) if (!ref.deref()) refs.delete(ref);
      refs.add(typeof WeakRef === 'function' ? new WeakRef(handler) : { deref: () => handler });
    },
    callAll(event) {
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
    },
  };
}
