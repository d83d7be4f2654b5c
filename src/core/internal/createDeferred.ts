/**
 * A promise with its `resolve` in hand (what `Promise.withResolvers()` gives on newer engines, less
 * `reject`: every deferred of the library is resolved, a failure travelling as a value).
 */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  /** Optional, and `createDeferred` gives none: nothing rejects a deferred (a turn built by hand may still carry a no-op). */
  reject?(reason: unknown): void;
}

/**
 * A promise settled from outside: the one place the library hand-writes `new Promise` for later
 * settling (`Promise.withResolvers` is not in every engine the package supports: Node 18, Safari < 17.4).
 */
export function createDeferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}
