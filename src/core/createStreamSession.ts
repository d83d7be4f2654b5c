import { createAccumulator, type AccumulatedMessage } from './accumulator';
import { createCancelRequest, globalFetch, MAX_ERROR_BODY_BYTES, readTextUpTo, type CancelFunction, type CancelOutcome } from './createCancelRequest';
import { createStreamDecoder, type StreamDecoder } from './decoders/createStreamDecoder';
import { StreamAbortedError, StreamCancelError, StreamHttpError, StreamModelError } from './errors';
import { createCancelSecret, createStreamId, STREAM_CANCELLED_HEADER } from './ids';
import { defaultConnectionsPerHost, openStreamsTo, originOf, trackOpenStream } from './openStreams';
import { isDevelopment } from './isDevelopment';
import { createIntervalScheduler, frameScheduler, syncScheduler, type NotifyScheduler } from './scheduler';
import type { Protocol, StreamEvent } from './types';
import { report, toError } from './internal/reportError';
import { withTimeout } from './internal/withTimeout';

/**
 * Where a session stands.
 * - `idle`: created, `start()` not called yet.
 * - `connecting`: the request is out; no byte of the answer has arrived yet.
 * - `streaming`: the answer is arriving.
 * - `stopping`: `stop()` was called; the visible message is frozen while the server cancel runs.
 * - `complete`: the model finished (`stop` / `tool-calls`, or a plain-text stream that closed cleanly).
 * - `incomplete`: anything else; `snapshot.incomplete.reason` says why.
 */
export type StreamStatus = 'idle' | 'connecting' | 'streaming' | 'stopping' | 'complete' | 'incomplete';

/**
 * Why a message ended `incomplete`.
 * - `cancelled`: the user stopped it (or the server reported a cancel in the stream).
 * - `disconnected`: the connection dropped or closed before the model finished, or `disconnect()` was called.
 * - `error`: a non-2xx answer, a malformed event, an error reported in the stream, or a timeout.
 * - `length`: the model hit its output limit.
 * - `content-filter`: the provider's filter cut the answer.
 */
export type IncompleteReason = 'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter';

/** What `snapshot.incomplete` holds once a session ended `incomplete`. */
export type IncompleteInfo = {
  readonly reason: IncompleteReason;
  /** For `cancelled`: the server confirmed the cancel (its answer, or a cancel event in the stream). */
  readonly serverConfirmed?: boolean;
  /** A human-readable message: the fault, or why the server cancel failed. */
  readonly error?: string;
};

/**
 * Everything a UI reads from a session. Immutable: `getSnapshot()` returns the same object until
 * something visible changed, as `useSyncExternalStore` requires.
 */
export type StreamSessionSnapshot = {
  readonly status: StreamStatus;
  /** The accumulated message (text, reasoning, tool calls with partial arguments, usage, finish reason). */
  readonly message: AccumulatedMessage;
  /** Set when `status` is `incomplete`, `null` otherwise. */
  readonly incomplete: IncompleteInfo | null;
  /**
   * The typed error, when one applies: `StreamHttpError` (non-2xx), `StreamProtocolError`
   * (malformed event), `StreamAbortedError` (`'timeout'`, or `'disconnected'` with the network
   * error as `cause`), the error a failed server cancel rejected with, the error `fetch` rejected
   * with (network unreachable), or an `Error` with the message of an error reported inside the
   * stream. `null` for a deliberate `stop()` whose cancel worked and for `disconnect()`.
   */
  readonly error: Error | null;
  readonly streamId: string;
  /** The provider's response / message id, once the stream sent it. */
  readonly responseId: string | null;
  /** The wire format, once known. */
  readonly protocol: Protocol | null;
};

export type { CancelOutcome, CancelRequest, CancelFunction } from './createCancelRequest';

/** What `stop()` resolves with. */
export type StopResult = { serverConfirmed: boolean; error?: string };

/** Options of {@link createStreamSession}. */
export type StreamSessionOptions = {
  /** The streaming endpoint. */
  api: string | URL;
  /** Default `'POST'`. */
  method?: string;
  /** Extra request headers. `x-stream-id` and `x-stream-cancel-secret` are always the session's own. */
  headers?: HeadersInit;
  body?: BodyInit | null;
  credentials?: RequestCredentials;
  /** The wire format, or `'auto'` (default): from the content type, then the first event. */
  protocol?: Protocol | 'auto';
  /** Where AI SDK streams carry usage in `messageMetadata`. Default `['usage']`. */
  aiSdkUsagePath?: readonly string[];
  /** Largest event the decoder buffers, in characters. Default 16 MiB. */
  maxEventSize?: number;
  /** The `fetch` to use for the stream (and the default cancel). Default: the global one. */
  fetch?: typeof fetch;
  /**
   * The cancel endpoint, called through {@link createCancelRequest} with this session's `fetch` and
   * `credentials` (not its `headers`: pass `cancel: createCancelRequest(url, { headers })` for those).
   * Without it (and without `cancel`), `stop()` only aborts locally and reports `serverConfirmed: false`.
   */
  cancelApi?: string | URL;
  /** A server cancel of your own (wins over `cancelApi`). Must honour `signal`. */
  cancel?: CancelFunction;
  /** How long `stop()` waits for the server cancel before aborting anyway. Default 3000; 0 = no bound. */
  cancelTimeoutMs?: number;
  /** After a server cancel answered, how long the stream may take to end by itself (its final usage / cancel event). Default 250. */
  drainMs?: number;
  /** Ends the stream (`incomplete`, reason `error`, `StreamAbortedError('timeout')`) when no byte arrived in time. Default 30000; 0 = off. */
  firstByteTimeoutMs?: number;
  /** Ends the stream the same way when it goes silent this long between chunks. Default 0 = off. */
  idleTimeoutMs?: number;
  /** How often subscribers hear about deltas: once per animation frame (default), every N ms, or on every delta (`false`). */
  throttle?: 'frame' | number | false;
  /** A scheduler of your own (overrides `throttle`). */
  scheduler?: NotifyScheduler;
  /** Use this stream id instead of a random one. */
  streamId?: string;
  /** Use this cancel secret instead of a random one. */
  cancelSecret?: string;
  /**
   * The runtime's HTTP/1.1 connection limit per host. Default: 6 in a browser, `Infinity`
   * elsewhere (Node, jsdom; set it for React Native, whose fetch limits connections per host too).
   * At this many streams open to the cancel's origin, the stop frees this stream's connection so
   * the cancel is not queued behind them (docs/session.md, "The browser's connection pool").
   */
  connectionsPerHost?: number;
  /** Every decoded event, as it is applied. */
  onEvent?: (event: StreamEvent) => void;
  /** Once, with the final snapshot. */
  onFinish?: (snapshot: StreamSessionSnapshot) => void;
  /** Once, when the session ends with an error (`snapshot.error`); called before `onFinish`. */
  onError?: (error: Error) => void;
};

/** A stream session: one request, its state, and the stop contract. */
export type StreamSession = {
  readonly streamId: string;
  readonly cancelSecret: string;
  /** Starts the request. Resolves with the final snapshot; never rejects. A second call returns the same promise. */
  start(): Promise<StreamSessionSnapshot>;
  /**
   * Stops the stream (DESIGN.md, "The stop contract"). Idempotent: a second call returns the same
   * promise. Before `start()`, after the end, or once the model already sent its finish event, it
   * sends nothing and resolves `{ serverConfirmed: false }`. Never rejects.
   */
  stop(): Promise<StopResult>;
  /** Aborts locally without a server cancel (unmount, page hide): ends `incomplete`, reason `disconnected`. No-op unless connecting or streaming. */
  disconnect(): void;
  /** Calls `listener` after each notification. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The current snapshot; the same object between notifications. */
  getSnapshot(): StreamSessionSnapshot;
};

const DEFAULT_CANCEL_TIMEOUT_MS = 3000;
const DEFAULT_DRAIN_MS = 250;
const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 30_000;
/**
 * After the model's finish event or an in-stream error, the stream is read until it closes (an
 * OpenAI usage chunk follows the finish chunk; an AI SDK error part is followed by `[DONE]`), but
 * a server that keeps the connection open after that must not leave the message `streaming`.
 */
const AFTER_FINISH_MS = 2000;
/**
 * Over `https:` a full count of open streams does not prove the cancel is queued (HTTP/2 carries
 * them all on one connection): the stop frees a connection only if the cancel is this late.
 */
const QUEUED_CANCEL_GRACE_MS = 500;

const noop = () => {};

let warnedUnknownStream = false;

/**
 * A `pending` cancel answer for a stream whose response had started: the cancel endpoint does not
 * know a running stream (docs/session.md). Said once on the console in development: a deployment fault.
 */
function unknownStreamError(): StreamCancelError {
  const failure = new StreamCancelError(
    'unknown-stream',
    'Not stopped on the server: the cancel endpoint does not know this running stream (its registry is likely not shared with the instance streaming it).',
  );
  if (!warnedUnknownStream && isDevelopment()) console.warn((warnedUnknownStream = true) && failure.message);
  return failure;
}

/** Clears `timer` once `promise` settles, either way (and leaves no rejection unhandled). */
function clearWhenSettled(promise: Promise<unknown>, timer: ReturnType<typeof setTimeout>) {
  const clear = () => clearTimeout(timer);
  promise.then(clear, clear);
}

/**
 * Creates a stream session: it starts the `fetch` with a client-chosen `x-stream-id` and
 * `x-stream-cancel-secret`, decodes the answer into a message, exposes it through
 * `subscribe` / `getSnapshot` (notifying at most once per animation frame by default), and
 * implements the whole stop contract: freeze at the click, server cancel bounded by
 * `cancelTimeoutMs`, a short drain, then always the local abort.
 *
 * The session is framework-agnostic; `useModelStream` only manages its lifetime and reads it with
 * `useSyncExternalStore`. It never rejects and never leaves an unhandled promise: every fault ends
 * in a defined status with the partial message kept and marked.
 *
 * @example
 * ```ts
 * import { createStreamSession } from 'react-model-stream/core';
 *
 * const session = createStreamSession({
 *   api: '/api/chat',
 *   body: JSON.stringify({ prompt: 'Tell me about coffee' }),
 *   headers: { 'content-type': 'application/json' },
 *   cancelApi: '/api/chat/cancel',
 * });
 * const unsubscribe = session.subscribe(() => render(session.getSnapshot()));
 * stopButton.onclick = () => session.stop(); // status 'stopping' at once, 'incomplete' / 'cancelled' after
 * const final = await session.start();
 * console.log(final.status, final.message.text, final.incomplete, final.message.usage);
 * unsubscribe();
 * ```
 */
export function createStreamSession(options: StreamSessionOptions): StreamSession {
  const streamId = options.streamId ?? createStreamId();
  const cancelSecret = options.cancelSecret ?? createCancelSecret();
  const fetchFn = options.fetch ?? globalFetch;
  const cancelFn: CancelFunction | null =
    options.cancel ?? (options.cancelApi != null ? createCancelRequest(options.cancelApi, { fetch: fetchFn, credentials: options.credentials }) : null);
  const throttle = options.throttle;
  const scheduler: NotifyScheduler =
    options.scheduler ??
    (throttle === false ? syncScheduler : typeof throttle === 'number' ? createIntervalScheduler(throttle) : frameScheduler);
  const cancelTimeoutMs = options.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS;
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  const firstByteTimeoutMs = options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const connectionsPerHost = options.connectionsPerHost ?? defaultConnectionsPerHost();

  const accumulator = createAccumulator({ partialArgs: true });
  const controller = new AbortController();
  const listeners = new Set<() => void>();

  let status: StreamStatus = 'idle';
  let incomplete: IncompleteInfo | null = null;
  let error: Error | null = null;
  let decoder: StreamDecoder | null = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** A terminal status was reached; nothing changes any more. */
  let ended = false;
  let stopRequested = false;
  /** The model's finish event or an in-stream error was read: the stream is winding down. */
  let windingDown = false;

  let snapshot: StreamSessionSnapshot = Object.freeze({
    status,
    message: accumulator.message(),
    incomplete,
    error,
    streamId,
    responseId: null,
    protocol: null,
  });

  let started = false;
  let resolveFinal: (snapshot: StreamSessionSnapshot) => void = noop;
  const finalPromise = new Promise<StreamSessionSnapshot>((resolve) => (resolveFinal = resolve));

  /**
   * The stream's response has started (its headers arrived): from then on a `pending` cancel
   * answer cannot be true. Not for the answer to a stream whose cancel arrived first (its header
   * says so): that is the pending cancel taking effect.
   */
  let responseStarted = false;
  let streamClosed = false;
  let resolveStreamClosed: () => void = noop;
  const streamClosedPromise = new Promise<void>((resolve) => (resolveStreamClosed = resolve));

  let stopPromise: Promise<StopResult> | null = null;
  /** Stops counting this stream among the page's open streams (see `openStreams.ts`). */
  let releaseConnection: () => void = noop;

  // ---- notifications -------------------------------------------------------------------------

  let pending: { cancel: () => void } | null = null;

  /** Builds a new snapshot if something visible changed and tells the listeners. */
  const publish = () => {
    const message = accumulator.message();
    const protocol = decoder?.protocol ?? null;
    if (
      snapshot.status === status &&
      snapshot.message === message &&
      snapshot.incomplete === incomplete &&
      snapshot.error === error &&
      snapshot.protocol === protocol
    ) {
      return;
    }
    snapshot = Object.freeze({ status, message, incomplete, error, streamId, responseId: message.id, protocol });
    for (const listener of [...listeners]) call(listener);
  };

  /** A delta arrived: schedule one notification (many deltas before it share it). */
  const scheduleFlush = () => {
    if (pending) return;
    const entry = { cancel: noop };
    pending = entry;
    // The scheduler may flush synchronously (syncScheduler); the identity check also ignores a
    // flush from a scheduler that did not honour its cancel.
    entry.cancel = scheduler(() => {
      if (pending !== entry) return;
      pending = null;
      publish();
    });
  };

  /** A status change: notify now, in this task, and drop any scheduled flush. */
  const flushSync = () => {
    const entry = pending;
    pending = null;
    entry?.cancel();
    publish();
  };

  const setStatus = (next: StreamStatus) => {
    status = next;
    flushSync();
  };

  const call = <A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A) => {
    try {
      callback?.(...args);
    } catch (thrown) {
      report(thrown);
    }
  };

  // ---- timers --------------------------------------------------------------------------------

  let firstByteTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let afterFinishTimer: ReturnType<typeof setTimeout> | undefined;

  const clearTimers = () => {
    clearTimeout(firstByteTimer);
    clearTimeout(idleTimer);
    clearTimeout(afterFinishTimer);
    firstByteTimer = idleTimer = afterFinishTimer = undefined;
  };

  /** Ends the stream with `StreamAbortedError('timeout')` after `ms` milliseconds of silence (`option` names the setting). */
  const timeoutAfter = (ms: number, option: string) =>
    setTimeout(() => fail('error', new StreamAbortedError('timeout', `No data for ${ms} ms (${option}); the stream was aborted.`)), ms);

  // ---- the end -------------------------------------------------------------------------------

  /** Closes the connection: abort the fetch (the server sees the request close) and let go of the reader. */
  const abortFetch = () => {
    if (!controller.signal.aborted) controller.abort(new StreamAbortedError(stopRequested ? 'cancelled' : 'disconnected'));
    reader?.cancel().catch(noop);
  };

  /** Reaches the terminal state, once: every resource released, listeners told synchronously. */
  const end = (finalStatus: 'complete' | 'incomplete', info: IncompleteInfo | null = null, failure: Error | null = null) => {
    if (ended) return;
    ended = true;
    clearTimers();
    abortFetch();
    releaseConnection();
    accumulator.markUnfinished();
    status = finalStatus;
    incomplete = info;
    error = failure;
    flushSync();
    const last = snapshot;
    if (last.error) call(options.onError, last.error);
    call(options.onFinish, last);
    resolveFinal(last);
  };

  /** Ends `incomplete` for `reason`, with `failure` as the error and its message. */
  const fail = (reason: IncompleteReason, failure: Error) => end('incomplete', { reason, error: failure.message }, failure);

  /** Ends a stream that ended by itself, as what it said decides. */
  const endByItself = () => {
    const { error: said, finishReason } = accumulator.message();
    if (said !== null || finishReason === 'error') {
      fail('error', new StreamModelError(said ?? 'The model ended the answer with an error.'));
      return;
    }
    switch (finishReason) {
      case 'length':
      case 'content-filter':
        end('incomplete', { reason: finishReason });
        return;
      case 'cancelled':
        // The server cancelled it (a cancel from elsewhere, e.g. another tab); it said so in the stream.
        end('incomplete', { reason: 'cancelled', serverConfirmed: true });
        return;
      case null:
        // Plain text has no finish channel: a clean close is its only way to say "done".
        if (decoder?.protocol !== 'text') {
          fail('disconnected', new StreamAbortedError('disconnected', 'The stream closed before the model finished (no finish event); the text so far is kept.'));
          return;
        }
    }
    // `stop`, `tool-calls`, `other` (e.g. Anthropic `pause_turn`: the model ended its turn normally).
    end('complete');
  };

  /**
   * The read loop is over: at the end of the stream (`eof`), because the connection dropped, or
   * with an error (fetch failed, non-2xx, undecodable). While stopping, `stop()` decides the
   * outcome; otherwise it is decided here.
   */
  const closed = (how: 'eof' | 'dropped' | 'error', failure?: unknown) => {
    streamClosed = true;
    resolveStreamClosed();
    releaseConnection();
    if (ended || stopRequested) return;
    if (how === 'eof') endByItself();
    else if (how === 'error') fail('error', toError(failure));
    else {
      fail(
        'disconnected',
        new StreamAbortedError('disconnected', `The connection dropped mid-stream (${toError(failure).message}); the text so far is kept.`, { cause: failure }),
      );
    }
  };

  // ---- the request ---------------------------------------------------------------------------

  const onDecodedEvent = (event: StreamEvent) => {
    accumulator.apply(event);
    // While stopping, the stop contract bounds the end instead (and `stop()` clears this timer).
    if ((event.type === 'finish' || event.type === 'error') && !windingDown && !stopRequested) {
      windingDown = true;
      // For when the answer is over but the server holds the connection open.
      afterFinishTimer = setTimeout(endByItself, AFTER_FINISH_MS);
    }
    call(options.onEvent, event);
    scheduleFlush();
  };

  /** Feeds a chunk to the decoder, or ends its input; `false` (after closing with the error) when the stream is undecodable. */
  const decode = (chunk?: Uint8Array): boolean => {
    try {
      if (chunk) decoder!.push(chunk);
      else decoder!.end();
      return true;
    } catch (failure) {
      // Events decoded before the bad one were applied: the text before it is kept.
      closed('error', failure);
      return false;
    }
  };

  const run = async (): Promise<void> => {
    if (firstByteTimeoutMs > 0) firstByteTimer = timeoutAfter(firstByteTimeoutMs, 'firstByteTimeoutMs');
    setStatus('connecting');
    if (ended) return; // a listener disconnected at once

    const headers = new Headers(options.headers);
    headers.set('x-stream-id', streamId);
    headers.set('x-stream-cancel-secret', cancelSecret);

    releaseConnection = trackOpenStream(options.api);
    let response: Response;
    try {
      response = await fetchFn(options.api, {
        method: options.method ?? 'POST',
        headers,
        body: options.body,
        credentials: options.credentials,
        signal: controller.signal,
      });
    } catch (failure) {
      closed('error', failure);
      return;
    }
    if (ended) {
      response.body?.cancel().catch(noop);
      return;
    }
    if (!response.ok) {
      // The first-byte timer still runs: it bounds an error body that never ends.
      const text = await readTextUpTo(response, MAX_ERROR_BODY_BYTES);
      closed('error', new StreamHttpError(response.status, response.statusText, text));
      return;
    }
    responseStarted = !response.headers.has(STREAM_CANCELLED_HEADER);

    decoder = createStreamDecoder(
      {
        protocol: options.protocol,
        contentType: response.headers.get('content-type'),
        aiSdkUsagePath: options.aiSdkUsagePath,
        maxEventSize: options.maxEventSize,
      },
      onDecodedEvent,
    );

    // getReader, not async iteration: Safari's ReadableStream is not async-iterable.
    const activeReader = (reader = response.body?.getReader());
    try {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          // No body at all reads as an empty stream.
          result = activeReader ? await activeReader.read() : { done: true, value: undefined };
        } catch (failure) {
          closed('dropped', failure);
          return;
        }
        if (ended) return;
        if (result.done) {
          if (decode()) closed('eof');
          return;
        }
        if (result.value.byteLength === 0) continue;
        if (!stopRequested) {
          clearTimeout(firstByteTimer);
          firstByteTimer = undefined;
          if (idleTimeoutMs > 0) {
            clearTimeout(idleTimer);
            idleTimer = timeoutAfter(idleTimeoutMs, 'idleTimeoutMs');
          }
        }
        // First byte: `streaming` from now on. The status and the first chunk's content go out
        // together with the next scheduled notification rather than at once: a stream that
        // arrives in one burst then costs one render per frame, not an extra one for the status.
        const firstChunk = status === 'connecting';
        if (firstChunk) status = 'streaming';
        if (!decode(result.value)) return;
        if (firstChunk) scheduleFlush();
      }
    } finally {
      try {
        activeReader?.releaseLock();
      } catch {
        // already released
      }
    }
  };

  // ---- stop ----------------------------------------------------------------------------------

  /** Calls the server cancel, bounded by `cancelTimeoutMs`; rejects with the cancel's error or a timeout. */
  const callCancel = (cancel: CancelFunction): Promise<CancelOutcome> => {
    const cancelController = new AbortController();
    // A cancel that throws synchronously rejects the promise like one that rejects.
    const pendingCancel = new Promise<CancelOutcome>((resolve) => resolve(cancel({ streamId, cancelSecret, signal: cancelController.signal })));
    // If the timeout wins, the cancel's own rejection (often an AbortError) must not go unhandled.
    pendingCancel.catch(noop);
    if (!(cancelTimeoutMs > 0)) return pendingCancel;
    return withTimeout(pendingCancel, cancelTimeoutMs, () => {
      const failure = new StreamAbortedError(
        'timeout',
        `The server cancel did not answer within ${cancelTimeoutMs} ms (cancelTimeoutMs); the stream was aborted locally.`,
      );
      // The cancel is not aborted with the stream but one more `cancelTimeoutMs` later. A browser
      // with six streams open to one HTTP/1.1 origin queues the cancel behind them; the local abort
      // that follows frees a connection and the queued cancel then reaches the server, so it
      // still learns that the user said stop (not merely that the client went away).
      clearWhenSettled(pendingCancel, setTimeout(() => cancelController.abort(failure), cancelTimeoutMs));
      throw failure;
    });
  };

  /**
   * At exactly `connectionsPerHost` streams open to the cancel's origin (this stream's own), frees
   * this stream's connection so the queued cancel goes out at once. Why, and why only then:
   * docs/session.md, "The browser's connection pool".
   */
  const freeConnectionIfCancelQueued = (answer: Promise<unknown>) => {
    if (options.cancelApi == null) return;
    const origin = originOf(options.cancelApi);
    if (origin === null || origin !== originOf(options.api) || streamClosed || openStreamsTo(origin) !== connectionsPerHost) return;
    // A timer, not a direct call: the cancel's `fetch` (behind a TanStack mutation's microtasks)
    // is issued by then, so it is queued for the connection this frees.
    clearWhenSettled(answer, setTimeout(abortFetch, origin.startsWith('http:') ? 0 : QUEUED_CANCEL_GRACE_MS));
  };

  /** The stream said how it ended by itself: its finish event, or the close of plain text (it has no other). */
  const endedByItself = () => accumulator.message().finishReason !== null || (streamClosed && decoder?.protocol === 'text');

  const runStop = async (): Promise<StopResult> => {
    // 1. In the task of the click: `stopping`, and the visible message freezes at what was shown
    // (the last notification, not the deltas received since, which the user never saw).
    accumulator.freeze(snapshot.message);
    clearTimers(); // from here the stop contract bounds everything
    setStatus('stopping');

    let outcome: CancelOutcome | null | undefined;
    let failure: Error | null = null;
    try {
      if (cancelFn) {
        // 2. The server cancel, with the client-chosen id: works before the first byte too.
        const answer = callCancel(cancelFn);
        freeConnectionIfCancelQueued(answer);
        outcome = await answer;
        // The server's final usage / cancel event may still arrive: wait a little for the stream
        // to end by itself (deltas stay frozen; usage and finish are applied). After
        // `already-finished` the model's finish is on its way: wait for it as after any finish.
        const wait = outcome.alreadyFinished ? AFTER_FINISH_MS : drainMs;
        if (!streamClosed && wait > 0) await withTimeout(streamClosedPromise, wait, noop);
      }
    } catch (thrown) {
      failure = toError(thrown);
    } finally {
      // 3. Always abort locally, after the cancel answered, failed or timed out.
      abortFetch();
    }

    // The server says the model had finished before the cancel reached it: the stop came after
    // the end, so the message is the whole answer, as the stream ends it (one story on both sides).
    if (outcome?.alreadyFinished && endedByItself()) {
      accumulator.thaw();
      endByItself();
      return { serverConfirmed: false };
    }
    // Usage from the cancel answer wins over what the stream said; otherwise the last known stays.
    if (outcome?.usage) accumulator.apply({ type: 'usage', usage: outcome.usage });
    // A `stream-cancelled` event (or AI SDK `abort`) read during the drain is a confirmation too.
    const cancelledInStream = accumulator.message().finishReason === 'cancelled';
    if (outcome?.pending && responseStarted && !cancelledInStream && !failure) failure = unknownStreamError();
    const serverConfirmed = (outcome?.confirmed === true && failure === null) || cancelledInStream;
    // 4. `cancelled`: the user said stop and the visible message was frozen at that instant.
    const result: StopResult = failure ? { serverConfirmed, error: failure.message } : { serverConfirmed };
    end('incomplete', { reason: 'cancelled', ...result }, failure);
    return result;
  };

  // ---- the session ---------------------------------------------------------------------------

  return {
    streamId,
    cancelSecret,
    start() {
      if (!started) {
        started = true;
        // A throw here is a bug, not a stream fault; still a defined end rather than a rejection.
        run().catch((thrown) => fail('error', toError(thrown)));
      }
      return finalPromise;
    },
    stop() {
      if (stopPromise) return stopPromise;
      // Before start, after the end, or once the model already sent its finish event (nothing is
      // generating any more and the message is whole; the stream ends by itself, bounded): nothing to cancel.
      if (ended || (status !== 'connecting' && status !== 'streaming') || accumulator.message().finishReason !== null) {
        return Promise.resolve({ serverConfirmed: false });
      }
      stopRequested = true;
      // The promise exists before any listener runs, so a stop() from inside a listener gets it.
      let resolveStop: (result: StopResult) => void = noop;
      stopPromise = new Promise<StopResult>((resolve) => (resolveStop = resolve));
      runStop().then(resolveStop, (thrown) => {
        const failure = toError(thrown);
        const result = { serverConfirmed: false, error: failure.message };
        end('incomplete', { reason: 'cancelled', ...result }, failure);
        resolveStop(result);
      });
      return stopPromise;
    },
    disconnect() {
      // While stopping, the stop contract already bounds the end (cancel timeout + drain), and
      // aborting now would close the connection before the cancel reached the server.
      if (!ended && !stopRequested && (status === 'connecting' || status === 'streaming')) end('incomplete', { reason: 'disconnected' });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot() {
      return snapshot;
    },
  };
}
