import type { Protocol } from '../core/types';
import { cancelledResponse, terminalKindOf } from './internal/cancelTerminal';
import { createModelStream } from './internal/createModelStream';
import { readStreamHeaders } from './internal/readStreamHeaders';
import { resolveResume, type ResumeOptions } from './internal/resume/resolveResume';
import { STREAM_ID_HEADER, hashSecret, jsonError } from './internal/validation';
import type { StreamEndOptions } from './streamEndOptions';
import type { StreamRegistry } from './types';

/** What a client disconnect (not a cancel) does to the upstream. */
export type DisconnectPolicy = 'abort' | 'continue';

export type HandleModelStreamOptions = {
  /** Where the stream is registered so the cancel endpoint can find it. */
  registry: StreamRegistry;
  /**
   * Starts the model request. Pass `signal` to the provider's `fetch` (or SDK): it is aborted on
   * cancel, so the provider stops generating and billing. Return the provider's streaming Response
   * (or one you built). It is never called for a stream whose cancel arrived first (a tombstone).
   */
  upstream: (signal: AbortSignal) => Response | Promise<Response>;
  /**
   * The upstream's wire format, used to read its usage and to choose how a cancel is written into
   * the stream. Default `'auto'`: from the upstream's content type and first event.
   */
  protocol?: Protocol | 'auto';
  /**
   * A client that goes away without a cancel (closed tab, dropped network): `'abort'` (default)
   * aborts the upstream; `'continue'` reads the upstream to its end, discarding the output, for
   * apps that persist and resume streams. Only the cancel endpoint means "the user said stop".
   */
  onDisconnect?: DisconnectPolicy;
  /**
   * Keeps the stream's output in the registry's log so a client that lost its connection, or
   * reloaded, resumes it through `handleResume` (docs/resume.md): `true` for the default bounds, or
   * your own. Every SSE event then carries an `id:`. A client that goes away no longer ends the
   * stream: the upstream goes on for `detachedMs` (default 30 s) waiting for a resume, then is
   * aborted (`onDisconnect` does not apply). A stop still stops it at once, resumed or not.
   *
   * @example
   * ```ts
   * return handleModelStream(request, { registry, upstream, resume: true });
   * ```
   */
  resume?: boolean | ResumeOptions;
} & StreamEndOptions;

/**
 * Serves a model stream that the user can really stop. Reads `x-stream-id` and
 * `x-stream-cancel-secret` from the request and registers them; calls `upstream(signal)`; streams
 * the upstream body through without buffering (a chunk is forwarded as soon as the SSE event or
 * NDJSON line it ends is complete). A cancel through `handleCancel` aborts `signal`, drops the
 * half-written event, if any, and ends the stream with the cancel terminal: an `abort` part then
 * `[DONE]` for `ai-sdk`; `event: stream-cancelled` with the usage known so far for the other SSE
 * protocols; nothing for plain text and NDJSON (the cancel answer carries the usage). A client that
 * disconnects without a cancel is handled by `onDisconnect`.
 *
 * Answers: the upstream's status and body (with its content type, `cache-control: no-cache` and
 * `x-accel-buffering: no`; no CORS headers); `400` for a missing or malformed id or secret; `409`
 * for an id in use; `502` when `upstream` throws; `503` when the registry fails. A non-2xx upstream
 * is passed through as is. Every path unregisters the stream when it ends.
 *
 * `onFinish` runs exactly once per stream that registered, on this instance, whichever way it ends
 * (see `StreamEndOptions`); `cancelUpstream` stops a provider that goes on generating after its
 * request is aborted, and the cancel answer then says `upstreamCancelled` (docs/server.md).
 *
 * @example
 * ```ts
 * // app/api/chat/route.ts (Next.js)
 * import { handleModelStream } from 'react-model-stream/server';
 * import { registry } from '../registry';
 *
 * export async function POST(request: Request) {
 *   const { messages } = await request.clone().json();
 *   return handleModelStream(request, {
 *     registry,
 *     protocol: 'openai-chat',
 *     upstream: (signal) =>
 *       fetch('https://api.openai.com/v1/chat/completions', {
 *         method: 'POST',
 *         signal,
 *         headers: { authorization: `Bearer ${process.env.OPENAI_API_KEY}`, 'content-type': 'application/json' },
 *         body: JSON.stringify({ model: 'gpt-4.1-mini', messages, stream: true, stream_options: { include_usage: true } }),
 *       }),
 *   });
 * }
 * ```
 */
export async function handleModelStream(request: Request, options: HandleModelStreamOptions): Promise<Response> {
  const { registry } = options;
  const protocol = options.protocol ?? 'auto';
  const onDisconnect = options.onDisconnect ?? 'abort';
  const resume = resolveResume(options.resume, registry);

  const checked = readStreamHeaders(request);
  if (checked instanceof Response) return checked;
  const secretHash = await hashSecret(checked.secret);
  const stream = createModelStream(request, { ...options, streamId: checked.streamId, protocol, onDisconnect, resume, secretHash });

  let result;
  try {
    result = await registry.register(checked.streamId, secretHash, stream.onCancel);
  } catch {
    return jsonError(503, 'The stream registry is unavailable, so this stream could not be made cancellable. Try again.');
  }
  if (result === 'conflict') {
    return jsonError(409, `The stream id in ${STREAM_ID_HEADER} is already in use: generate a new id for every stream.`);
  }
  if (result === 'cancelled') {
    // A cancel with this id and secret arrived first (a tombstone): the upstream is never called,
    // so nothing was generated or billed.
    stream.tombstoned();
    return cancelledResponse(terminalKindOf(protocol, null, null), protocol, {
      usage: { inputTokens: 0, outputTokens: 0 },
      usageEstimated: false,
    });
  }
  return stream.start(result);
}
