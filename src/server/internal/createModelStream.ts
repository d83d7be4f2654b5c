import type { Protocol } from '../../core/types';
import type { DisconnectPolicy, HandleModelStreamOptions } from '../handleModelStream';
import type { CancelReport, StreamRegistration } from '../types';
import { AI_SDK_HEADER, cancelledResponse, terminalBytes, terminalKindOf } from './cancelTerminal';
import { createBoundaryBuffer } from './createBoundaryBuffer';
import { createPassThroughOutput } from './createPassThroughOutput';
import { createSideDecoder } from './createSideDecoder';
import { jsonError } from './validation';

type State = 'waiting' | 'streaming' | 'ended' | 'cancelled' | 'disconnected';

/**
 * The upstream's content type, and for a stream also the AI SDK's header, `cache-control: no-cache`
 * and `x-accel-buffering: no` (so no proxy holds the events back). No other upstream header is
 * copied: provider ids, cookies, `content-encoding` and `content-length` are the provider's.
 */
function passThroughHeaders(upstream: Response): Headers {
  const headers = new Headers();
  const contentType = upstream.headers.get('content-type');
  if (contentType) headers.set('content-type', contentType);
  headers.set('cache-control', 'no-cache');
  if (!upstream.ok) return headers;
  const aiSdkHeader = upstream.headers.get(AI_SDK_HEADER);
  if (aiSdkHeader) headers.set(AI_SDK_HEADER, aiSdkHeader);
  headers.set('x-accel-buffering', 'no');
  return headers;
}

/** One stream request, from its registration on: the registry only ever sees `onCancel`. */
export type ModelStream = {
  /** For `registry.register`: stops the stream for a cancel, or answers `null` when it is late. */
  onCancel(): CancelReport | null;
  /** Once registered: listens for the client, calls the upstream and answers with its stream. */
  start(registration: StreamRegistration): Promise<Response>;
};

/**
 * The state of one stream request and everything that changes it: a cancel, a client that goes
 * away, the pump that reads the upstream when the client reads. `state` is the stream's one phase:
 * `waiting` for the upstream, `streaming`, then `ended`, `cancelled` or `disconnected`.
 */
export function createModelStream(
  request: Request,
  options: Pick<HandleModelStreamOptions, 'upstream'> & { protocol: Protocol | 'auto'; onDisconnect: DisconnectPolicy },
): ModelStream {
  const { upstream, protocol, onDisconnect } = options;
  let state: State = 'waiting';
  /** a client is reading the body (false after a disconnect in 'continue' mode) */
  let attached = true;
  let report: CancelReport | null = null;
  const upstreamAbort = new AbortController();
  /**
   * The upstream's finish (or in-stream error) event was read, and with it forwarded to the client:
   * the model is done. A cancel from now on answers `already-finished` and leaves the rest (the
   * provider's usage chunk, `[DONE]`) to pass through, so the client and the cancel answer agree.
   */
  let modelFinished = false;
  // The events of a chunk are decoded before its bytes are forwarded (`feed`), in the same task:
  // by the time a cancel can run, a finish seen here has been forwarded with its event.
  const decoder = createSideDecoder(protocol, (event) => {
    if (event.type === 'finish' || event.type === 'error') modelFinished = true;
  });
  let upstreamResponse: Response | null = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const boundary = createBoundaryBuffer();
  const output = createPassThroughOutput();
  let registration: StreamRegistration | null = null;
  let unregistered = false;

  /**
   * Every way out of the stream (end, cancel, disconnect) comes through here: the registration is
   * finished once and the client is no longer listened to. `stopped`: the stream was stopped
   * without a cancel (see `StreamRegistration.finish`).
   */
  const unregister = (stopped?: CancelReport) => {
    request.signal.removeEventListener('abort', onClientGone);
    if (unregistered || registration === null) return;
    unregistered = true;
    const handle = registration;
    Promise.resolve()
      .then(() => handle.finish(stopped))
      .catch(() => {
        // The registry's markers expire on their own; nothing the client can do about it.
      });
  };

  /** The stream is over without a cancel or a disconnect (its end, a failure, a refusal). */
  const end = () => {
    state = 'ended';
    unregister();
  };

  const stopReading = (reason: unknown) => {
    if (reader) reader.cancel(reason).catch(() => {});
    else upstreamResponse?.body?.cancel(reason).catch(() => {});
  };

  const terminalKind = () => terminalKindOf(protocol, decoder.protocol, upstreamResponse);

  const onCancel = (): CancelReport | null => {
    if (state === 'cancelled') return report;
    // Aborted by a disconnect, its registration not yet finished: the model was stopped before it
    // finished, as the cancel wanted (see `unregister` above).
    if (state === 'disconnected') return report;
    // Ended on its own, or its finish already went out: the cancel is late.
    if (state === 'ended' || modelFinished) return null;
    state = 'cancelled';
    report = decoder.usage();
    const reason = new DOMException('The stream was cancelled through the cancel endpoint.', 'AbortError');
    upstreamAbort.abort(reason);
    stopReading(reason);
    boundary.drop(); // the half-written event, if any, is never sent
    const bytes = terminalBytes(terminalKind(), report);
    if (bytes) output.enqueue(bytes);
    output.close();
    unregister();
    output.wake();
    return report;
  };

  function onClientGone() {
    if (!attached) return;
    attached = false;
    if (state !== 'waiting' && state !== 'streaming') return;
    boundary.drop();
    output.close();
    if (onDisconnect === 'abort') {
      state = 'disconnected';
      const reason = new DOMException('The client disconnected.', 'AbortError');
      upstreamAbort.abort(reason);
      stopReading(reason);
      // The model was stopped before it finished: a cancel that follows (a browser whose cancel
      // waited for this very connection to close) answers `cancelled` with this usage.
      report = modelFinished ? null : decoder.usage();
      unregister(report ?? undefined);
    }
    // 'continue': the pump keeps reading (and decoding, so a later cancel still knows the usage)
    // to the end without waiting for a consumer, then unregisters.
    output.wake();
  }

  const feed = (chunk: Uint8Array) => {
    decoder.push(chunk);
    if (!attached) return;
    boundary.push(chunk);
    const ready = boundary.take(decoder.framing());
    if (ready) output.enqueue(ready);
  };

  const endNormally = () => {
    end();
    decoder.end();
    const rest = boundary.flush(); // the upstream's own last bytes, passed through as they are
    if (rest && attached) output.enqueue(rest);
    output.close();
  };

  const pump = async () => {
    const upstreamReader = reader!;
    try {
      for (;;) {
        while (attached && !output.wanted && state === 'streaming') await output.demand();
        if (state !== 'streaming') return;
        const { done, value } = await upstreamReader.read();
        if (state !== 'streaming') return; // cancelled or disconnected while reading
        if (done) {
          endNormally();
          return;
        }
        feed(value);
      }
    } catch (error) {
      if (state !== 'streaming') return;
      // The upstream broke mid-stream: the client sees a broken stream too, not a clean end.
      end();
      boundary.drop();
      output.error(error);
    }
  };

  const start = async (registered: StreamRegistration): Promise<Response> => {
    registration = registered;
    // A cancel that landed between registering and here was already recorded by the registry.
    if (state !== 'waiting') unregister();
    if (request.signal.aborted) onClientGone();
    else request.signal.addEventListener('abort', onClientGone, { once: true });

    let response: unknown;
    try {
      response = state === 'waiting' ? await upstream(upstreamAbort.signal) : null;
    } catch {
      response = null;
      if (state === 'waiting') {
        end();
        return jsonError(502, 'The upstream model request failed before it answered.');
      }
    }
    return answer(response);
  };

  /** What the client gets once `upstream` returned: a cancel or a disconnect may have come first. */
  const answer = (response: unknown): Response => {
    if (state === 'cancelled') {
      if (response instanceof Response) {
        // An upstream that answered despite the abort: its headers still tell which terminal fits.
        upstreamResponse = response;
        response.body?.cancel().catch(() => {});
      }
      return cancelledResponse(terminalKind(), protocol, report!);
    }
    if (state === 'disconnected') {
      if (response instanceof Response) response.body?.cancel().catch(() => {});
      return new Response(null, { status: 499, statusText: 'Client Closed Request' });
    }
    if (!(response instanceof Response)) {
      end();
      return jsonError(502, 'The upstream model request did not return a Response.');
    }
    upstreamResponse = response;
    const headers = passThroughHeaders(response);
    if (!response.ok) {
      // The provider refused (401, 429, 500…): its status and body are the client's best information.
      end();
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }
    decoder.start(response.headers.get('content-type'));
    if (response.body === null) {
      endNormally();
      return new Response(null, { status: response.status, headers });
    }
    reader = response.body.getReader();
    state = 'streaming';
    // The runtime cancels the body when the client goes away: a disconnect, not a cancel.
    const body = output.readable(attached, onClientGone);
    void pump();
    return new Response(body, { status: response.status, headers });
  };

  return { onCancel, start };
}
