import { AI_SDK_HEADER, cancelledResponse } from './cancelTerminal';
import type { ModelStreamContext } from './modelStreamContext';
import { endUpstream, pumpUpstream } from './pumpUpstream';
import { startResumeLog } from './resume/startResumeLog';
import { jsonError } from './validation';

/**
 * What the client gets once `upstream` returned (`null`: it was not called, or threw after a cancel
 * or a disconnect): a cancel or a disconnect may have come first. A streaming upstream starts the
 * pump, and the stream enters `streaming`.
 */
export function answerUpstream(stream: ModelStreamContext, response: unknown): Response {
  const { state } = stream;
  if (state.phase === 'cancelled') {
    if (response instanceof Response) {
      // An upstream that answered despite the abort: its headers still tell which terminal fits.
      state.upstream = response;
      response.body?.cancel().catch(() => {});
    }
    return cancelledResponse(stream.terminalKind(), stream.protocol, state.report!);
  }
  if (state.phase === 'disconnected') {
    if (response instanceof Response) response.body?.cancel().catch(() => {});
    return new Response(null, { status: 499, statusText: 'Client Closed Request' });
  }
  if (!(response instanceof Response)) {
    stream.end('ended');
    return jsonError(502, 'The upstream model request did not return a Response.');
  }
  state.upstream = response;
  const headers = passThroughHeaders(response);
  if (!response.ok) {
    // The provider refused (401, 429, 500…): its status and body are the client's best information.
    stream.end('ended');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
  stream.decoder.start(response.headers.get('content-type'));
  if (response.body === null) {
    endUpstream(stream);
    return new Response(null, { status: response.status, headers });
  }
  state.reader = response.body.getReader();
  state.phase = 'streaming';
  if (stream.resume) startResumeLog(stream, stream.resume, headers);
  // The runtime cancels the body when the client goes away: a disconnect, not a cancel.
  const body = stream.forwarder.readable(state.attached, stream.onClientGone);
  void pumpUpstream(stream, state.reader);
  return new Response(body, { status: response.status, headers });
}

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
