import { parseJsonOrUndefined } from './decoders/parseJson';
import { readUsage } from './readUsage';
import { StreamHttpError } from './errors';
import type { Usage } from './types';

/** What a server cancel reports back. */
export type CancelOutcome = {
  /** The server cancelled the stream (it had not finished). */
  confirmed: boolean;
  /** Usage of the stopped turn according to the server; replaces what the stream said. */
  usage?: Usage | null;
  /** The server says the stream had already finished (nothing to cancel). */
  alreadyFinished?: boolean;
  /**
   * The server knows no stream with this id yet and will cancel it when it starts (a tombstone).
   * That confirms a stop only while this stream's response has not started: once it has, the
   * cancel endpoint does not know a running stream, and the stop ends `serverConfirmed: false`.
   */
  pending?: boolean;
};

/**
 * What a cancel function receives: the stream to cancel, its secret, and a signal aborted if the
 * cancel has not answered `cancelTimeoutMs` after the local abort (itself at most `cancelTimeoutMs`
 * after the click).
 */
export type CancelRequest = { streamId: string; cancelSecret: string; signal: AbortSignal };

/** Cancels a stream on the server. The React layer passes a TanStack Query mutation; the default is {@link createCancelRequest}. */
export type CancelFunction = (request: CancelRequest) => Promise<CancelOutcome>;

/** How much of an error body (stream or cancel answer) is kept for `StreamHttpError.body`; an enum so a bundler writes the value in place. */
export enum ErrorBody {
  MAX_BYTES = 64 * 1024,
}

/** The global `fetch`, looked up per call and called as a plain function: `window.fetch` throws "Illegal invocation" when called as a method of another object. */
export const globalFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/** Options of {@link createCancelRequest}. */
export type CancelRequestOptions = {
  /** The `fetch` to use. Default: the global one. */
  fetch?: typeof fetch;
  /** Extra headers (e.g. `authorization` for an app's `authorize` hook). The secret header always wins. */
  headers?: HeadersInit;
  /** Passed to `fetch`. */
  credentials?: RequestCredentials;
};

/**
 * The default server cancel of the stream session: `POST <cancelApi>` with the JSON body
 * `{"streamId":"…"}` and the `x-stream-cancel-secret` header, as the `server/` cancel handler
 * expects (DESIGN.md, "Stream identity and the cancel endpoint").
 *
 * Answers map to a {@link CancelOutcome}:
 * - `200 {"status":"cancelled","usage":{…}|null,"usageEstimated":bool}` → `{ confirmed: true, usage }`
 *   (`usage.estimated: true` when the server estimated it);
 * - `200 {"status":"already-finished"}` → `{ confirmed: false, alreadyFinished: true }`;
 * - `404 {"status":"pending"}` (no such stream yet; the server cancels it when it starts)
 *   → `{ confirmed: true, pending: true, usage: null }`: the session counts it as confirmed only
 *   while the stream's own response has not started;
 * - any other status (`403` wrong secret, `404` unknown id, `5xx`, …) rejects with a
 *   `StreamHttpError` carrying the status and (up to 64 KB of) the body text;
 * - a 2xx answer that is not one of the above rejects with an `Error` that says so.
 *
 * The second argument is the `fetch` to use, or {@link CancelRequestOptions}.
 *
 * @example
 * ```ts
 * const cancel = createCancelRequest('/api/chat/cancel');
 * const session = createStreamSession({ api: '/api/chat', body, cancel });
 * // equivalent to: createStreamSession({ api: '/api/chat', body, cancelApi: '/api/chat/cancel' })
 * ```
 */
export function createCancelRequest(
  cancelApi: string | URL,
  fetchOrOptions?: typeof fetch | CancelRequestOptions,
): CancelFunction {
  const options: CancelRequestOptions = typeof fetchOrOptions === 'function' ? { fetch: fetchOrOptions } : (fetchOrOptions ?? {});
  const fetchFn = options.fetch ?? globalFetch;

  return async ({ streamId, cancelSecret, signal }) => {
    const headers = new Headers(options.headers);
    headers.set('content-type', 'application/json');
    headers.set('x-stream-cancel-secret', cancelSecret);
    const init: RequestInit = { method: 'POST', headers, body: JSON.stringify({ streamId }), signal };
    if (options.credentials !== undefined) init.credentials = options.credentials;
    const response = await fetchFn(cancelApi, init);
    // `text()`, not a reader: Chromium reports about a third of the answered cancels read through a
    // reader as failed (`net::ERR_ABORTED`, "(canceled)" in DevTools) a few ms after the last
    // byte, which reads as a cancel that never arrived; error answers (a `404 pending`) too. The
    // answer is small; one that declares a larger size is still read bounded, and one that never
    // ends is cut by `cancelTimeoutMs`.
    const declared = Number(response.headers.get('content-length') ?? 0);
    const text = declared > ErrorBody.MAX_BYTES ? await readTextUpTo(response, ErrorBody.MAX_BYTES) : await response.text();
    if (!response.ok) {
      // 404 "pending": the server knows no stream with this id yet and will cancel it the moment
      // it starts (a tombstone). The session decides whether that confirms the stop.
      if (response.status === 404 && /"status"\s*:\s*"pending"/.test(text)) return { confirmed: true, pending: true, usage: null };
      throw new StreamHttpError(response.status, response.statusText, text.slice(0, ErrorBody.MAX_BYTES), 'The cancel request');
    }
    // Not JSON is handled below: not an answer we know.
    const data = parseJsonOrUndefined(text);
    if (data?.status === 'cancelled') return { confirmed: true, usage: readUsage(data.usage, 'inputTokens', 'outputTokens', data.usageEstimated === true) };
    if (data?.status === 'already-finished') return { confirmed: false, alreadyFinished: true };
    throw new Error(
      `The cancel endpoint answered HTTP ${response.status} with an unexpected body (expected {"status":"cancelled"|"already-finished"}): ${text.slice(0, 200)}`,
    );
  };
}

/**
 * Reads at most `limit` bytes of a response body as UTF-8 text and cancels the rest, so an error
 * page of unknown size cannot exhaust memory. A read that fails keeps the text read so far.
 * Internal (not exported from the package entry).
 */
export async function readTextUpTo(response: Response, limit: number): Promise<string> {
  const body = response.body;
  if (!body) return '';
  const reader = body.getReader();
  const utf8 = new TextDecoder();
  let text = '';
  let bytes = 0;
  let done = false;
  try {
    while (bytes < limit) {
      const result = await reader.read();
      if (result.done) {
        done = true;
        break;
      }
      // `subarray` stops at the end of a chunk that fits whole.
      const chunk = result.value.subarray(0, limit - bytes);
      bytes += chunk.byteLength;
      text += utf8.decode(chunk, { stream: true });
    }
  } catch {
    // The connection broke while reading an error body: what arrived is still worth showing.
  } finally {
    if (!done) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return text + utf8.decode();
}
