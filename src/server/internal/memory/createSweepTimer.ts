/**
 * The in-memory registry's one timer: it runs only while there is something to expire and is
 * unref'd, so a registry never keeps a process alive. Started lazily, at the first thing to expire:
 * some runtimes forbid timers at module scope, where registries are created.
 */
export type SweepTimer = {
  /** Starts the timer if it is not running (and the registry is not closed). */
  ensure(): void;
  /** Sweeps now; stops the timer once nothing is left to expire. */
  sweep(): void;
  /** Stops the timer for good. */
  close(): void;
};

/** `sweep(now)` expires what it can and answers whether anything is left to expire later. */
export function createSweepTimer(intervalMs: number, sweep: (now: number) => boolean): SweepTimer {
  const state: { timer: ReturnType<typeof setInterval> | null; closed: boolean } = { timer: null, closed: false };

  const stop = () => {
    if (state.timer !== null) clearInterval(state.timer);
    state.timer = null;
  };

  const run = () => {
    if (!sweep(Date.now())) stop();
  };

  return {
    ensure() {
      if (state.timer !== null || state.closed) return;
      state.timer = setInterval(run, intervalMs);
      (state.timer as { unref?: () => void }).unref?.();
    },
    sweep: run,
    close() {
      state.closed = true;
      stop();
    },
  };
}
