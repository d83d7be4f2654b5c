/**
 * Notify schedulers: when the stream session tells its subscribers (React) that something changed.
 *
 * The session applies every delta to its state at once, but a UI only needs to hear about it once
 * per frame: re-rendering per delta is what makes long answers janky. A scheduler decides when the
 * one pending notification runs. It is swappable, like TanStack Query's `notifyManager`, so tests
 * (or apps with their own batching) can flush by hand.
 */

/**
 * Schedules one `flush` and returns a function that cancels it. The session calls it at most once
 * per pending notification (many deltas before the flush share one call), and cancels it when a
 * status change forces an immediate notification. A scheduler may call `flush` synchronously.
 *
 * @example
 * ```ts
 * // A scheduler the test flushes by hand.
 * const queue: (() => void)[] = [];
 * const manual: NotifyScheduler = (flush) => {
 *   queue.push(flush);
 *   return () => queue.splice(queue.indexOf(flush) >>> 0, 1);
 * };
 * ```
 */
export type NotifyScheduler = (flush: () => void) => () => void;

/** The fallback frame length where `requestAnimationFrame` does not exist (Node, workers). */
const FRAME_MS = 16;
/** Flush interval while the page is hidden (browsers throttle background timers to about 1 s anyway). */
const HIDDEN_MS = 250;

/**
 * At most one notification per animation frame: `requestAnimationFrame` where it exists, otherwise
 * a 16 ms timer. The default of the stream session (`throttle: 'frame'`).
 *
 * Browsers pause animation frames in hidden tabs, so there it falls back to a 250 ms timer; the session
 * also notifies synchronously on the end of the stream and on stop, and the next frame shows
 * the latest state.
 */
export const frameScheduler: NotifyScheduler = (flush) => {
  // Looked up at call time, so a DOM environment installed after import (jsdom, happy-dom) is used.
  // A hidden tab runs no animation frames: a timer keeps the store (and its persisted copy) current.
  const hidden = globalThis.document?.visibilityState === 'hidden';
  if (!hidden && typeof requestAnimationFrame === 'function' && typeof cancelAnimationFrame === 'function') {
    const handle = requestAnimationFrame(() => flush());
    return () => cancelAnimationFrame(handle);
  }
  const timer = setTimeout(flush, hidden ? HIDDEN_MS : FRAME_MS);
  return () => clearTimeout(timer);
};

/**
 * At most one notification every `ms` milliseconds (the session's `throttle: number`).
 *
 * @example
 * ```ts
 * createStreamSession({ api: '/api/chat', scheduler: createIntervalScheduler(100) });
 * ```
 */
export function createIntervalScheduler(ms: number): NotifyScheduler {
  if (!(ms >= 0)) throw new RangeError(`createIntervalScheduler: ms must be a number >= 0 (got ${ms}).`);
  return (flush) => {
    const timer = setTimeout(flush, ms);
    return () => clearTimeout(timer);
  };
}

/** Notifies immediately, on every change (the session's `throttle: false`). */
export const syncScheduler: NotifyScheduler = (flush) => {
  flush();
  return () => {};
};
