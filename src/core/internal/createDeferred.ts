/** A promise with its `resolve` and `reject` in hand (what `Promise.withResolvers()` gives on newer engines). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * A promise settled from outside: the one place the library hand-writes `new Promise` for later
 * settling (`Promise.withResolvers` is not in every engine the package supports: Node 18, Safari < 17.4).
 */
export function createDeferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
