import { createMessageAccumulator, type AccumulatedMessage, type MessageAccumulator } from './createMessageAccumulator';
import { globalFetch, type CancelOutcome } from './createCancelRequest';
import { StreamAbortedError, StreamModelError } from './errors';
import { createCancelSecret, createStreamId } from './ids';
import { callSafely } from './internal/callSafely';
import { createDeferred, type Deferred } from './internal/createDeferred';
import { toError } from './internal/reportError';
import { withTimeout } from './internal/withTimeout';
import { createNotifier, type Notifier } from './session/createNotifier';
import { partialJsonParsers } from './session/loadPartialJson';
import { loadReconnector } from './session/loadReconnector';
import { Bound, createSessionTimers, type SessionTimers } from './session/createSessionTimers';
import { createStreamConnection, type StreamConnection } from './session/createStreamConnection';
import { createServerCancel, type ServerCancel } from './session/createServerCancel';
import type { IncompleteInfo, IncompleteReason, StopResult, StreamSession, StreamSessionOptions, StreamSessionSnapshot, StreamStatus } from './session/types';
import { unknownStreamError } from './session/unknownStreamError';
import type { Protocol, StreamEvent } from './types';

export type { CancelOutcome, CancelRequest, CancelFunction } from './createCancelRequest';
export type { StreamStatus, IncompleteReason, IncompleteInfo, StreamSessionSnapshot, StopResult, StreamSessionOptions, StreamSession } from './session/types';

/**
 * Where a session stands, as one value: its status, and what only the `incomplete` end has (why,
 * and the error). It changes in three places only: `enter()` (`connecting`, `stopping`, the
 * reconnector's `reconnecting`: heard at once), `onChunk` (`streaming`: heard with the first chunk
 * of the answer or of a resumed one) and `end()` (a terminal one, once); nothing else says whether
 * the session started, stops or ended.
 */
type Phase =
  | { readonly status: Exclude<StreamStatus, 'incomplete'>; readonly incomplete?: never; readonly error?: never }
  | { readonly status: 'incomplete'; readonly incomplete: IncompleteInfo; readonly error: Error | null };

/** The one mutable record of a session: its phase, what it shows, and its collaborators (exported for the lazily loaded reconnector, not from the package). */
export type Session = {
  phase: Phase;
  /** What `getSnapshot()` returns: rebuilt only when something visible changed. */
  snapshot: StreamSessionSnapshot;
  /** The promise of the one stop (`stop()` is idempotent, even after the end). */
  stopped?: Promise<StopResult>;
  readonly session: StreamSession; // the public face: what `createStreamSession` returns
  readonly options: StreamSessionOptions;
  readonly message: MessageAccumulator;
  readonly notifier: Notifier;
  readonly timers: SessionTimers;
  readonly connection: StreamConnection;
  readonly final: Deferred<StreamSessionSnapshot>;
  /** The server cancel (with its bound and the connection-pool policy); `null` without one. */
  readonly cancel: ServerCancel | null;
};

/** The defaults, as an enum: esbuild writes its values in place (top-level constants stay variables). */
enum Default { DRAIN_MS = 250, FIRST_BYTE_TIMEOUT_MS = 30_000 }

/** The request is out, the answer arriving or being resumed: what `stop()` and `disconnect()` act on (and the reconnector asks). */
export const isLive = ({ status }: Phase) => status === 'connecting' || status === 'streaming' || status === 'reconnecting';
const isOver = ({ status }: Phase) => status === 'complete' || status === 'incomplete';

/** The snapshot of a session in a phase (`{ status: 'idle' }`: the hook's before any session, too). */
export function snapshotOf(
  { status, incomplete = null, error = null }: Pick<StreamSessionSnapshot, 'status'> & Partial<StreamSessionSnapshot>,
  message: AccumulatedMessage, streamId: string, protocol: Protocol | null,
): StreamSessionSnapshot {
  return Object.freeze({ status, message, incomplete, error, streamId, responseId: message.id, protocol });
}

/** Rebuilds the snapshot if something visible changed; `true` if it did (the notifier then tells the listeners). */
function refresh(s: Session): boolean {
  const message = s.message.message();
  const protocol = s.connection.protocol;
  // `incomplete` and `error` change only with the status: they are the terminal phase's own.
  if (s.snapshot.status === s.phase.status && s.snapshot.message === message && s.snapshot.protocol === protocol) return false;
  s.snapshot = snapshotOf(s.phase, message, s.snapshot.streamId, protocol);
  return true;
}

/** A live status change: listeners hear of it now, in this task. */
export function enter(s: Session, status: 'connecting' | 'stopping' | 'reconnecting') {
  s.phase = { status };
  s.notifier.flush();
}

/**
 * Reaches the terminal phase, once: `incomplete` with `info` (and `failure` as the error), else
 * `complete`. Every resource released, listeners told synchronously.
 */
function end(s: Session, info?: IncompleteInfo, failure: Error | null = null) {
  if (isOver(s.phase)) return;
  s.timers.clear();
  s.connection.abort(s.phase.status === 'stopping' ? 'cancelled' : 'disconnected');
  s.connection.release();
  s.message.markUnfinished();
  s.phase = info ? { status: 'incomplete', incomplete: info, error: failure } : { status: 'complete' };
  s.notifier.flush();
  const last = s.snapshot;
  if (last.error) callSafely(s.options.onError, last.error);
  callSafely(s.options.onFinish, last);
  s.final.resolve(last);
}

/** Ends `incomplete` for `reason`, with `failure` as the error and its message. */
const fail = (s: Session, reason: IncompleteReason, failure: Error) => end(s, { reason, error: failure.message }, failure);

/** Ends a stream that ended by itself, as what it said decides. */
function endByItself(s: Session) {
  const { error: said, finishReason } = s.message.message();
  if (said !== null || finishReason === 'error') return fail(s, 'error', new StreamModelError(said ?? 'The model ended the answer with an error.'));
  switch (finishReason) {
    case 'length':
    case 'content-filter':
      return end(s, { reason: finishReason });
    case 'cancelled':
      // The server cancelled it (a cancel from elsewhere, e.g. another tab); it said so in the stream.
      return end(s, { reason: 'cancelled', serverConfirmed: true });
    case null:
      // Plain text has no finish channel: a clean close is its only way to say "done".
      if (s.connection.protocol === 'text') break;
      return fail(s, 'disconnected', new StreamAbortedError('disconnected', 'The stream closed before the model finished (no finish event); the text so far is kept.'));
  }
  // `stop`, `tool-calls`, `other` (e.g. Anthropic `pause_turn`: the model ended its turn normally).
  end(s);
}

/** `start()`: the first-byte bound, `connecting`, then the request and its read loop. */
async function run(s: Session) {
  s.timers.start();
  enter(s, 'connecting');
  if (isOver(s.phase)) return; // a listener disconnected at once
  await s.connection.read(s.session);
}

/** The stop contract (docs/DESIGN.md), top to bottom: freeze, server cancel, always the local abort, the end. */
async function stopContract(s: Session): Promise<StopResult> {
  // 1. In the task of the click: `stopping`, and the visible message freezes at what was shown
  // (the last notification, not the deltas received since, which the user never saw).
  s.message.freeze(s.snapshot.message);
  s.timers.clear(); // from here the stop contract bounds everything
  enter(s, 'stopping');

  let outcome: CancelOutcome | undefined;
  let failure: Error | null = null;
  try {
    if (s.cancel) {
      // 2. The server cancel, with the client-chosen id: works before the first byte too. At a
      // full HTTP/1.1 connection pool it frees this stream's connection (docs/session.md).
      outcome = await s.cancel(s.session, s.connection.done ? null : () => s.connection.abort('cancelled'));
      // The server's final usage / cancel event may still arrive: wait a little for the stream
      // to end by itself (deltas stay frozen; usage and finish are applied). After
      // `already-finished` the model's finish is on its way: wait for it as after any finish.
      const wait = outcome.alreadyFinished ? Bound.AFTER_FINISH_MS : (s.options.drainMs ?? Default.DRAIN_MS);
      if (!s.connection.done && wait > 0) await withTimeout(s.connection.closed, wait, () => {});
    }
  } catch (thrown) {
    failure = toError(thrown);
  } finally {
    // 3. Always abort locally, after the cancel answered, failed or timed out.
    s.connection.abort('cancelled');
  }

  // The server says the model had finished before the cancel reached it: the stop came after
  // the end, so the message is the whole answer, as the stream ends it (one story on both sides),
  // once it said how it ended: its finish event, or the close of plain text (it has no other).
  if (outcome?.alreadyFinished && (s.message.message().finishReason !== null || (s.connection.done && s.connection.protocol === 'text'))) {
    s.message.thaw();
    endByItself(s);
    return { serverConfirmed: false };
  }
  // Usage from the cancel answer wins over what the stream said; otherwise the last known stays.
  if (outcome?.usage) s.message.apply({ type: 'usage', usage: outcome.usage });
  // A `stream-cancelled` event (or AI SDK `abort`) read during the drain is a confirmation too.
  const cancelledInStream = s.message.message().finishReason === 'cancelled';
  if (outcome?.pending && s.connection.started && !cancelledInStream && !failure) failure = unknownStreamError();
  const serverConfirmed = (outcome?.confirmed === true && failure === null) || cancelledInStream;
  // 4. `cancelled`: the user said stop and the visible message was frozen at that instant.
  return endCancelled(s, serverConfirmed, failure);
}

/** The stop's end, `cancelled` (with `failure` as the error and its message); returns what `stop()` resolves with. */
function endCancelled(s: Session, serverConfirmed: boolean, failure: Error | null): StopResult {
  const result: StopResult = failure ? { serverConfirmed, error: failure.message } : { serverConfirmed };
  end(s, { reason: 'cancelled', ...result }, failure);
  return result;
}

/** `stop()`: the one stop, or nothing to stop. */
function stop(s: Session): Promise<StopResult> {
  if (s.stopped) return s.stopped;
  // Before start, after the end, or after the model's finish event (the message is whole; the stream ends by itself, bounded): nothing to cancel.
  if (!isLive(s.phase) || s.message.message().finishReason !== null) return Promise.resolve({ serverConfirmed: false });
  // The promise exists before any listener runs, so a stop() from inside a listener gets it.
  const stopped = createDeferred<StopResult>();
  s.stopped = stopped.promise;
  stopContract(s).then(stopped.resolve, (thrown) => stopped.resolve(endCancelled(s, false, toError(thrown))));
  return stopped.promise;
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
  const fetchFn = options.fetch ?? globalFetch;
  const message = createMessageAccumulator(partialJsonParsers(() => notifier.schedule()));
  // The listeners are the notifier's own: `subscribe` is its method as it is.
  const notifier = createNotifier(options, () => refresh(s));
  const s: Session = {
    phase: { status: 'idle' },
    snapshot: snapshotOf({ status: 'idle' }, message.message(), streamId, null),
    options,
    message,
    final: createDeferred(),
    cancel: createServerCancel(options, fetchFn),
    notifier,
    timers: createSessionTimers(
      options.firstByteTimeoutMs ?? Default.FIRST_BYTE_TIMEOUT_MS,
      options.idleTimeoutMs ?? 0,
      // Not while reconnecting: silence is expected there, and a resumed body's first chunk re-arms the idle bound.
      (failure) => s.phase.status === 'reconnecting' || fail(s, 'error', failure),
      () => endByItself(s),
    ),
    connection: createStreamConnection(options, fetchFn, {
      ended: () => isOver(s.phase),
      // A decoded event: applied; the finish (or an in-stream error) starts the after-finish bound.
      event(event) {
        if (isOver(s.phase)) return; // held for a handler that arrived after the end: it stays the end
        message.apply(event);
        // While stopping the timers are off: the stop contract bounds the end instead.
        if (event.type === 'finish' || event.type === 'error') s.timers.finish();
        callSafely(options.onEvent, event);
        notifier.schedule();
      },
      // A non-empty chunk: the silence timers restart, and the first byte (of the answer, or of a resumed one) makes the
      // session `streaming`. The status and the first chunk's content go out together with the next scheduled notification
      // (once the protocol's handler loaded, on a page's first stream) rather than at once: a stream that arrives in one
      // burst then costs one render per frame, not an extra one for the status.
      chunk(chunk) {
        s.timers.received();
        const firstChunk = s.phase.status !== 'streaming' && isLive(s.phase);
        if (firstChunk) s.phase = { status: 'streaming' };
        if (s.connection.decode(chunk) && firstChunk) s.connection.decoder!.ready?.then(notifier.schedule, notifier.schedule) ?? notifier.schedule();
      },
      // The body ended or broke: resumed with `resumeApi` (docs/resume.md), else closed as it says.
      lost: (how, failure) => !!lost?.(how, failure),
      // The read loop is over (end, drop, or an error: fetch failed, non-2xx, undecodable). While stopping, the stop contract decides.
      closed(how, failure) {
        if (s.phase.status === 'stopping' || isOver(s.phase)) return;
        if (how === 'eof') endByItself(s);
        else if (how === 'error') fail(s, 'error', toError(failure));
        else {
          const dropped = `The connection dropped mid-stream (${toError(failure).message}); the text so far is kept.`;
          fail(s, 'disconnected', new StreamAbortedError('disconnected', dropped, { cause: failure }));
        }
      },
    }),
    session: {
      streamId,
      cancelSecret: options.cancelSecret ?? createCancelSecret(),
      start() {
        // A throw in `run` is a bug, not a stream fault; still a defined end rather than a rejection.
        if (s.phase.status === 'idle') run(s).catch((thrown) => fail(s, 'error', toError(thrown)));
        return s.final.promise;
      },
      stop: () => stop(s),
      disconnect() {
        if (!isLive(s.phase)) return; // not while stopping; ends as shown (see the type)
        s.message.freeze(s.snapshot.message);
        end(s, { reason: 'disconnected' });
      },
      subscribe: notifier.subscribe,
      getSnapshot: () => s.snapshot,
    },
  };
  const lost = loadReconnector(s, fetchFn, isLive, enter);
  return s.session;
}
