/**
 * Reports an error thrown by a user callback (a subscriber, a page handler) without breaking the
 * caller: the page's `reportError` where there is one (it reaches `window.onerror` and the console,
 * as an uncaught error would), else `console.error`.
 */
export function report(error: unknown): void {
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
}

/** `error` as an `Error` (a thrown string or object becomes the message of one). */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
