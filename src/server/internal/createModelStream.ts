import type { Protocol } from '../../core/types';
import type { DisconnectPolicy, HandleModelStreamOptions } from '../handleModelStream';
import type { CancelReport, StreamRegistration } from '../types';
import { answerUpstream } from './answerUpstream';
import { terminalBytes, terminalKindOf } from './cancelTerminal';
import { createFinishReporter, type FinishOptions } from './createFinishReporter';
import { createForwarder } from './createForwarder';
import { createSideDecoder } from './createSideDecoder';
import { createUpstreamCancel, type UpstreamCancelOptions } from './createUpstreamCancel';
import type { FinalPhase, ModelStreamContext, ModelStreamState } from './modelStreamContext';
import type { ResolvedResume } from './resume/resolveResume';
import { watchDetached } from './resume/watchDetached';
import { jsonError } from './validation';

/** One stream request, from its registration on: the registry only ever sees `onCancel`. */
export type ModelStream = {
  /** For `registry.register`: stops the stream for a cancel, or answers `null` when it is late. */
  onCancel(): CancelReport | null | Promise<CancelReport | null>;
  /** A tombstone cancelled it at its registration (`start` is never called): `onFinish` still runs. */
  tombstoned(): void;
  /** Once registered: listens for the client, calls the upstream and answers with its stream. */
  start(registration: StreamRegistration): Promise<Response>;
};

/** Finishes the registration, once, as soon as the stream is over and registered (a cancel may come before `start`). */
function finishRegistration(state: ModelStreamState, stopped?: CancelReport): void {
  if (state.unregistered || state.registration === null) return;
  state.unregistered = true;
  const handle = state.registration;
  // The registry's markers expire on their own: a failed finish is nothing the client can act on.
  Promise.resolve()
    .then(() => handle.finish(stopped))
    .catch(() => {});
}

/** The model was stopped before it finished, without a cancel: its client gone, or nobody resumed it in time. */
function stopDisconnected(stream: ModelStreamContext, upstreamAbort: AbortController): void {
  const { state } = stream;
  // A cancel that follows (a browser whose cancel waited for this very connection to close)
  // answers `cancelled` with this usage.
  state.report = state.modelFinished ? null : stream.decoder.usage();
  stream.end('disconnected', state.report ?? undefined);
  stopUpstream(state, upstreamAbort, new DOMException('The client disconnected.', 'AbortError'));
  stream.forwarder.abandon();
}

/**
 * The client went away mid-stream (not a cancel). With resume on and the log started, the stream
 * goes on into its log for a client that comes back, for a bounded time; else `onDisconnect`.
 */
function leaveClient(stream: ModelStreamContext, options: ModelStreamOptions, upstreamAbort: AbortController): void {
  const { state, forwarder } = stream;
  if (options.resume && state.resumeLog) {
    forwarder.detach();
    state.unwatch = watchDetached(state.resumeLog, options.resume.detachedMs, () => {
      if (state.phase === 'streaming') stopDisconnected(stream, upstreamAbort);
    });
  } else if (options.onDisconnect === 'abort') {
    stopDisconnected(stream, upstreamAbort);
  } else {
    forwarder.abandon();
  }
  // 'continue' (or resume): the pump keeps reading (and decoding, so a later cancel still knows
  // the usage) to the end without waiting for a consumer, then ends.
  forwarder.wake();
}

/** Aborts the model request and stops reading its body (for a cancel, or a disconnect in `'abort'` mode). */
function stopUpstream(state: ModelStreamState, upstreamAbort: AbortController, reason: DOMException): void {
  upstreamAbort.abort(reason);
  if (state.reader) state.reader.cancel(reason).catch(() => {});
  else state.upstream?.body?.cancel(reason).catch(() => {});
}

/** What `handleModelStream` passes on, its defaults applied. */
export type ModelStreamOptions = Pick<HandleModelStreamOptions, 'upstream'> &
  FinishOptions &
  UpstreamCancelOptions & {
    protocol: Protocol | 'auto';
    onDisconnect: DisconnectPolicy;
    resume: ResolvedResume | null;
    secretHash: string;
  };

/**
 * The lifecycle of one stream request: its one state (see `ModelStreamState`), the one way out of
 * it (`end`), and the three things that move it: `start`, a cancel, a client that goes away. What
 * the client gets is `answerUpstream`'s; reading the upstream is `pumpUpstream`'s.
 */
export function createModelStream(request: Request, options: ModelStreamOptions): ModelStream {
  const { upstream, protocol, resume, secretHash } = options;
  const state: ModelStreamState = { phase: 'waiting', attached: true, report: null, modelFinished: false, upstream: null, reader: null, registration: null, unregistered: false, unwatch: null, resumeLog: null };
  const upstreamAbort = new AbortController();
  const decoder = createSideDecoder(protocol, (event) => {
    if (event.type === 'finish' || event.type === 'error') state.modelFinished = true;
  });
  const forwarder = createForwarder();
  const finish = createFinishReporter(options, state, decoder);
  const upstreamCancel = createUpstreamCancel(options, decoder);

  /**
   * Every way out of the stream (its end, a failure, a refusal, a cancel, a disconnect) comes
   * through here: the phase becomes final, the client is no longer listened to, the registration is
   * finished. `stopped`: the model was stopped without a cancel (see `StreamRegistration.finish`).
   */
  const end = (phase: FinalPhase, stopped?: CancelReport) => {
    state.phase = phase;
    state.unwatch?.();
    request.signal.removeEventListener('abort', onClientGone);
    finishRegistration(state, stopped);
    finish.ended(phase);
  };

  const terminalKind = () => terminalKindOf(protocol, decoder.protocol, state.upstream);
  const stream: ModelStreamContext = { state, protocol, decoder, forwarder, finish, resume, secretHash, end, onClientGone, terminalKind };

  const onCancel = (): CancelReport | null | Promise<CancelReport | null> => {
    // Cancelled already, or aborted by a disconnect (its registration not finished when this cancel
    // came): the model was stopped before it finished, as the cancel wanted.
    if (state.phase === 'cancelled' || state.phase === 'disconnected') return upstreamCancel.pending ?? state.report;
    // Ended on its own, or its finish already went out: the cancel is late.
    if (state.phase === 'ended' || state.modelFinished) return null;
    const report = decoder.usage();
    state.report = report;
    end('cancelled');
    stopUpstream(state, upstreamAbort, new DOMException('The stream was cancelled through the cancel endpoint.', 'AbortError'));
    forwarder.cancel(terminalBytes(terminalKind(), report));
    forwarder.wake();
    return upstreamCancel.after(report);
  };

  function onClientGone() {
    if (!state.attached) return;
    state.attached = false;
    if (state.phase === 'waiting' || state.phase === 'streaming') leaveClient(stream, options, upstreamAbort);
  }

  const start = async (registration: StreamRegistration): Promise<Response> => {
    state.registration = registration;
    // A cancel that landed between registering and here ended the stream before there was a
    // registration to finish (the registry already recorded the cancel).
    if (state.phase !== 'waiting') finishRegistration(state);
    if (request.signal.aborted) onClientGone();
    else request.signal.addEventListener('abort', onClientGone, { once: true });
    let response: unknown = null;
    try {
      if (state.phase === 'waiting') response = await upstream(upstreamAbort.signal);
    } catch {
      if (state.phase === 'waiting') {
        end('ended');
        return jsonError(502, 'The upstream model request failed before it answered.');
      }
    }
    return answerUpstream(stream, response);
  };

  return { onCancel, start, tombstoned: finish.tombstoned };
}
