/**
 * Sets the timer of {@link withTimeout}: `setTimeout`, or (a server's bound) one that does not
 * keep a Node process alive for the timer alone. A function, not an `unref` flag, so that the
 * client's bundle, which never unrefs, carries no code for it.
 */
export type SetTimer = (done: () => void, ms: number) => ReturnType<typeof setTimeout>;

/** `setTimeout`, with the timer unref'd in Node: for the servers' bounds (the client's bounds keep it). */
export const unrefTimer: SetTimer = (done, ms) => {
  const timer = setTimeout(done, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

/**
 * `promise`, or what `late()` returns (or throws) once `ms` have passed, whichever comes first; the
 * timer is cleared either way. The one timeout race of the library: the session's server-cancel
 * bound and the Redis command bound both use it.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, late: () => T | Promise<T>, setTimer: SetTimer = setTimeout): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimer(resolve, ms);
  });
  try {
    return await Promise.race([promise, timeout.then(late)]);
  } finally {
    clearTimeout(timer);
  }
}
