import type { PersistStorage, StorageValue } from 'zustand/middleware';

export type ThrottledStorage<S> = PersistStorage<S> & {
  /** Writes the pending value now, if there is one. */
  flush(): void;
  /**
   * Ends a hydration that began with `getItem`. If the store changed meanwhile, writes `current()`
   * (the merged state) — not the pre-hydration state, which would overwrite the stored one.
   */
  hydrated(current: () => StorageValue<S> | undefined): void;
};

type ThrottleOptions<S> = {
  /** Longest wait before a pending value is written; `<= 0` writes every value at once. */
  throttleMs: number;
  /** Asked on every write (and expected to reset itself): must this value be written at once? */
  takeUrgent: () => boolean;
  onError: (error: unknown) => void;
  /** Asked on every write: is this state one the storage already holds (merged from another tab)? Then it is not written. */
  skip?: (value: StorageValue<S>) => boolean;
  /** Sees each value as it is written, and may add to it (the cross-tab revision). */
  stamp?: (value: StorageValue<S>) => StorageValue<S>;
  /** Sees the value a hydration read (the cross-tab revision and base). */
  onRead?: (value: StorageValue<S> | null) => void;
};

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Wraps a zustand `PersistStorage` so that a stream's deltas do not each serialize and write the
 * whole state: a value waits at most `throttleMs` and only the latest is written (a trailing
 * throttle — at most one write per window). Urgent values (structure or status changes, so every
 * terminal state) and `flush()` write at once. The value is a reference to the immutable state, so
 * deferring its serialization is safe. Write errors go to `onError`, never to the caller: a full
 * storage must not break a stream.
 *
 * While a hydration reads (an async storage), writes are held back: zustand would otherwise write
 * the still-empty in-memory state over the stored one before reading it.
 */
export function createThrottledStorage<S>(target: PersistStorage<S>, options: ThrottleOptions<S>): ThrottledStorage<S> {
  let pending: { name: string; value: StorageValue<S> } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let hydratingName: string | null = null;
  let changedWhileHydrating = false;

  /** No pending write, and no timer for one. No `null` check: `clearTimeout(null)` does nothing. */
  const discard = () => {
    clearTimeout(timer!);
    timer = null;
    pending = null;
  };

  const flush = () => {
    const taken = pending;
    discard();
    if (!taken) return;
    const { name, value } = taken;
    try {
      const result = target.setItem(name, options.stamp ? options.stamp(value) : value);
      if (isPromiseLike(result)) result.then(undefined, options.onError);
    } catch (error) {
      options.onError(error);
    }
  };

  return {
    getItem(name) {
      // What was pending is part of the in-memory state the hydration merges with: written after it.
      if (pending) changedWhileHydrating = true;
      discard();
      hydratingName = name;
      const read = target.getItem(name);
      if (!options.onRead) return read;
      const onRead = options.onRead;
      if (isPromiseLike(read)) return Promise.resolve(read).then((value) => (onRead(value), value));
      onRead(read);
      return read;
    },
    setItem(name, value) {
      const urgent = options.takeUrgent();
      if (options.skip?.(value)) {
        // The storage already holds this state (another tab wrote it): nothing of ours is pending.
        discard();
        return;
      }
      if (hydratingName !== null) {
        changedWhileHydrating = true;
        return;
      }
      pending = { name, value };
      if (urgent || options.throttleMs <= 0) flush();
      else timer ??= setTimeout(flush, options.throttleMs);
    },
    removeItem(name) {
      discard();
      hydratingName = null;
      changedWhileHydrating = false;
      return target.removeItem(name);
    },
    flush,
    hydrated(current) {
      const name = hydratingName;
      hydratingName = null;
      if (name === null || !changedWhileHydrating) return;
      changedWhileHydrating = false;
      const value = current();
      if (value) {
        pending = { name, value };
        flush();
      }
    },
  };
}
