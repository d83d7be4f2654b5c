import { callSafely } from '../internal/callSafely';
import { createIntervalScheduler, frameScheduler, syncScheduler } from '../scheduler';
import type { StreamSessionOptions } from './types';

/** What {@link createNotifier} returns: the subscriber list and when it hears of a change. */
export type Notifier = {
  /** Adds a listener; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** A delta arrived: one notification through the scheduler (many deltas before it share it). */
  schedule(): void;
  /** A status change: notify now, in this task, and drop any scheduled notification. */
  flush(): void;
};

/**
 * A session's notifications and their throttling, on their own: one pending notification at a
 * time, run by the scheduler (`scheduler`, else by `throttle`: a frame by default, N ms, or at
 * once with `false`) or forced by a status change. Like TanStack
 * Query's `notifyManager`, batching is one module the session only calls. `refresh` rebuilds the
 * snapshot and says whether anything visible changed; only then are the listeners called (each
 * throw reported, never breaking the others).
 */
export function createNotifier({ scheduler, throttle }: Pick<StreamSessionOptions, 'scheduler' | 'throttle'>, refresh: () => boolean): Notifier {
  const schedule =
    scheduler ?? (throttle === false ? syncScheduler : typeof throttle === 'number' ? createIntervalScheduler(throttle) : frameScheduler);
  const listeners = new Set<() => void>();
  let pending: { cancel: () => void } | null = null;

  const publish = () => {
    if (refresh()) for (const listener of [...listeners]) callSafely(listener);
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    schedule() {
      if (pending) return;
      const entry = { cancel: () => {} };
      pending = entry;
      // The scheduler may flush synchronously (syncScheduler); the identity check also ignores a
      // flush from a scheduler that did not honour its cancel.
      entry.cancel = schedule(() => {
        if (pending !== entry) return;
        pending = null;
        publish();
      });
    },
    flush() {
      const entry = pending;
      pending = null;
      entry?.cancel();
      publish();
    },
  };
}
