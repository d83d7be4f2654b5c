/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** In Node, do not keep the process alive for the timer alone (servers' bounds); the client's bounds keep it. */
  unref?: boolean;
}

/**
 * `promise`, or what `late()` returns (or throws) once `ms` have passed, whichever comes first; the
 * timer is cleared either way. The one timeout race of the library: the session's server-cancel
 * bound and the Redis command bound both use it.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, late: () => T | Promise<T>, options: WithTimeoutOptions = {}): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    if (options.unref) (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([promise, timeout.then(late)]);
  } finally {
    clearTimeout(timer);
  }
}
