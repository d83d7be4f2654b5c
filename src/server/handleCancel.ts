import { readBodyCapped } from './internal/readBodyCapped';
import { CANCEL_SECRET_HEADER, hashSecret, isValidSecret, isValidStreamId, jsonError, jsonResponse } from './internal/validation';
import type { StreamRegistry } from './types';

export type HandleCancelOptions = {
  /** The registry the streams were registered in (the same one `handleModelStream` uses). */
  registry: StreamRegistry;
  /**
   * The app's own check (a session, a user id), run after the request is well-formed and before
   * the registry is asked. `false` answers 403 and changes nothing. A hook that throws answers 500.
   */
  authorize?: (request: Request, streamId: string) => boolean | Promise<boolean>;
};

/** Largest cancel body read, in bytes. `{"streamId":"<128 chars>"}` is about 150. */
export const MAX_CANCEL_BODY_BYTES = 4096;

/**
 * The cancel endpoint: `POST` with JSON `{ "streamId": "…" }` and header `x-stream-cancel-secret`.
 * Stops the stream served by `handleModelStream` (on this instance, or on another through a shared
 * registry) so the provider stops generating.
 *
 * Answers (all JSON; errors are `{ "error": "<message>" }`; no CORS headers):
 * - `200 {"status":"cancelled","usage":{inputTokens,outputTokens}|null,"usageEstimated":bool}`.
 * - `404 {"status":"pending","error":…}` when no stream has this id yet: a short-lived tombstone
 *   cancels it the moment it registers with the same secret (see the README).
 * - `200 {"status":"already-finished"}` when the stream ended before the cancel.
 * - `404` unknown id (without `status: 'pending'` when the registry keeps no tombstones), `403` wrong or missing secret
 *   (compared in constant time) or refused by `authorize`, `400` a body that is not JSON
 *   `{streamId}` with a valid id or a content type other than `application/json`, `405` not a
 *   `POST` (with `Allow: POST`), `413` a body over 4 KB, `503` the registry failed, `504` the
 *   instance serving the stream did not confirm in time.
 *
 * @example
 * ```ts
 * // app/api/chat/cancel/route.ts (Next.js)
 * import { handleCancel } from 'react-model-stream/server';
 * import { registry } from '../../registry';
 *
 * export function POST(request: Request) {
 *   return handleCancel(request, {
 *     registry,
 *     authorize: async (req, streamId) => (await getSession(req)) !== null,
 *   });
 * }
 * ```
 */
export async function handleCancel(request: Request, options: HandleCancelOptions): Promise<Response> {
  const { registry, authorize } = options;
  if (request.method !== 'POST') {
    return jsonError(405, `The cancel endpoint accepts only POST, not ${request.method}.`, { allow: 'POST' });
  }
  const contentType = request.headers.get('content-type');
  const mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    request.body?.cancel().catch(() => {});
    return jsonError(400, 'The cancel request must have content-type application/json and the body {"streamId": "…"}.');
  }
  const body = await readBodyCapped(request, MAX_CANCEL_BODY_BYTES);
  if (!body.ok) {
    return body.reason === 'too-large'
      ? jsonError(413, `The cancel request body is larger than ${MAX_CANCEL_BODY_BYTES} bytes; send only {"streamId": "…"}.`)
      : jsonError(400, 'The cancel request body could not be read as UTF-8 text.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch {
    return jsonError(400, 'The cancel request body is not valid JSON; send {"streamId": "…"}.');
  }
  const streamId = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { streamId?: unknown }).streamId : undefined;
  if (typeof streamId !== 'string') {
    return jsonError(400, 'The cancel request body must be a JSON object with a string "streamId".');
  }
  if (!isValidStreamId(streamId)) {
    return jsonError(400, 'Invalid "streamId": use 1–128 characters of A–Z, a–z, 0–9, "_" and "-".');
  }
  const secret = request.headers.get(CANCEL_SECRET_HEADER);
  if (secret === null) {
    return jsonError(403, `Missing ${CANCEL_SECRET_HEADER} header: send the secret the stream was started with.`);
  }
  if (!isValidSecret(secret)) {
    return jsonError(403, `The ${CANCEL_SECRET_HEADER} header does not match this stream.`);
  }
  if (authorize) {
    let allowed: boolean;
    try {
      allowed = (await authorize(request, streamId)) === true;
    } catch {
      return jsonError(500, 'The authorize hook failed; the stream was not cancelled.');
    }
    if (!allowed) return jsonError(403, 'This cancel was refused by the app (authorize).');
  }
  const secretHash = await hashSecret(secret);
  let result;
  try {
    result = await registry.cancel(streamId, secretHash);
  } catch {
    return jsonError(503, 'The stream registry is unavailable; the stream was not cancelled. Try again.');
  }
  switch (result.status) {
    case 'cancelled':
      // No stream with this id yet: to the caller it is unknown (404), but the tombstone left by
      // the registry cancels it the moment it starts, so `status: 'pending'` says so.
      if (result.pending) {
        return jsonResponse(404, {
          status: 'pending',
          error: 'No stream with this id is running yet; if it starts within a few seconds with this secret, it is cancelled at once.',
        });
      }
      return jsonResponse(200, { status: 'cancelled', usage: result.report.usage, usageEstimated: result.report.usageEstimated });
    case 'already-finished':
      return jsonResponse(200, { status: 'already-finished' });
    case 'not-found':
      return jsonError(404, 'No stream with this id is running (it may never have started, or finished over a minute ago).');
    case 'forbidden':
      return jsonError(403, `The ${CANCEL_SECRET_HEADER} header does not match this stream.`);
    case 'unavailable':
      return jsonError(504, 'The server instance streaming this id did not confirm the cancel in time; it may have stopped.');
  }
}
