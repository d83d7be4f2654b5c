import { report } from './reportError';

/**
 * Calls a user callback (a subscriber, `onEvent`, `onFinish`, `onError`) so that its throw is
 * reported (`report`) and never breaks the caller: a session keeps its stop contract whatever the
 * app's callbacks do. A missing callback is skipped.
 */
export function callSafely<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
  try {
    callback?.(...args);
  } catch (thrown) {
    report(thrown);
  }
}
