import { createCancelRequest, type CancelFunction, type CancelOutcome } from '../createCancelRequest';
import { StreamAbortedError } from '../errors';
import { withTimeout } from '../internal/withTimeout';
import { defaultConnectionsPerHost, openStreamsTo, originOf } from '../openStreams';
import type { StreamSessionOptions } from './types';

// An enum, not top-level constants: a bundler (esbuild) writes an enum member's value in place,
// where it keeps top-level constants as variables.
enum Ms {
  DEFAULT_CANCEL_TIMEOUT = 3000,
  /**
   * Over `https:` a full count of open streams does not prove the cancel is queued (HTTP/2 carries
   * them all on one connection): the stop frees a connection only if the cancel is this late.
   */
  QUEUED_CANCEL_GRACE = 500,
}

/** Clears `timer` once `promise` settles, either way (and leaves no rejection unhandled). */
function clearWhenSettled(promise: Promise<unknown>, timer: ReturnType<typeof setTimeout>) {
  const clear = () => clearTimeout(timer);
  promise.then(clear, clear);
}

/** Calls the server cancel, bounded by `timeoutMs` (0 = no bound); rejects with the cancel's error or a timeout. */
function callCancel(cancel: CancelFunction, ids: { streamId: string; cancelSecret: string }, timeoutMs: number): Promise<CancelOutcome> {
  const cancelController = new AbortController();
  // A cancel that throws synchronously rejects the promise like one that rejects.
  const pendingCancel = new Promise<CancelOutcome>((resolve) =>
    resolve(cancel({ streamId: ids.streamId, cancelSecret: ids.cancelSecret, signal: cancelController.signal })),
  );
  // If the timeout wins, the cancel's own rejection (often an AbortError) must not go unhandled.
  pendingCancel.catch(() => {});
  if (!(timeoutMs > 0)) return pendingCancel;
  return withTimeout(pendingCancel, timeoutMs, () => {
    const failure = new StreamAbortedError('timeout', `The server cancel did not answer within ${timeoutMs} ms (cancelTimeoutMs); the stream was aborted locally.`);
    // The cancel is not aborted with the stream but one more `cancelTimeoutMs` later. A browser
    // with six streams open to one HTTP/1.1 origin queues the cancel behind them; the local abort
    // that follows frees a connection and the queued cancel then reaches the server, so it
    // still learns that the user said stop (not merely that the client went away).
    clearWhenSettled(pendingCancel, setTimeout(() => cancelController.abort(failure), timeoutMs));
    throw failure;
  });
}

/**
 * Sends a stop's server cancel with the client-chosen id and secret. `free` frees the stream's
 * connection, for the connection-pool policy; `null` once the stream closed (it holds no
 * connection to free). Rejects with the cancel's error or a `StreamAbortedError('timeout')`.
 */
export type ServerCancel = (ids: { streamId: string; cancelSecret: string }, free: (() => void) | null) => Promise<CancelOutcome>;

/**
 * The server cancel of a stop, on its own: the cancel (`cancel`, else `createCancelRequest` on
 * `cancelApi` with the session's `fetch` and `credentials`; `null` without either), its bound
 * (`cancelTimeoutMs`; the cancel's own signal fires one more `cancelTimeoutMs` after it, and not
 * at all once the cancel has answered), and the HTTP/1.1 connection-pool policy
 * (`connectionsPerHost`). The options are read once, here, as the session is created.
 */
export function createServerCancel(options: StreamSessionOptions, fetchFn: typeof fetch): ServerCancel | null {
  const cancel = options.cancel ?? (options.cancelApi != null ? createCancelRequest(options.cancelApi, { fetch: fetchFn, credentials: options.credentials }) : null);
  const timeoutMs = options.cancelTimeoutMs ?? Ms.DEFAULT_CANCEL_TIMEOUT;
  const connectionsPerHost = options.connectionsPerHost ?? defaultConnectionsPerHost();
  if (!cancel) return null;
  return (ids, free) => {
    const answer = callCancel(cancel, ids, timeoutMs);
    // At exactly `connectionsPerHost` streams open to the cancel's origin (this stream's own), frees
    // this stream's connection so the queued cancel goes out at once. Why, and why only then:
    // docs/session.md, "The browser's connection pool".
    const origin = free && options.cancelApi != null ? originOf(options.cancelApi) : null;
    // (`origin` is `null` without `free`.)
    if (origin !== null && origin === originOf(options.api) && openStreamsTo(origin) === connectionsPerHost) {
      // A timer, not a direct call: the cancel's `fetch` (behind a TanStack mutation's microtasks)
      // is issued by then, so it is queued for the connection this frees.
      clearWhenSettled(answer, setTimeout(free!, origin.startsWith('http:') ? 0 : Ms.QUEUED_CANCEL_GRACE));
    }
    return answer;
  };
}
