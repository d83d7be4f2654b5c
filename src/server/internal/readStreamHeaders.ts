import { CANCEL_SECRET_HEADER, STREAM_ID_HEADER, isValidSecret, isValidStreamId, jsonError } from './validation';

/** The stream id and cancel secret a stream request carries, both already checked. */
export type StreamHeaders = { streamId: string; secret: string };

/**
 * Reads `x-stream-id` and `x-stream-cancel-secret` from a stream request. Returns them, or the
 * `400` answer that names the header and says how to fix it: a stream the user could not cancel is
 * refused before anything is registered or generated.
 */
export function readStreamHeaders(request: Request): StreamHeaders | Response {
  const streamId = request.headers.get(STREAM_ID_HEADER);
  if (streamId === null) {
    return jsonError(400, `Missing ${STREAM_ID_HEADER} header: send a random stream id (e.g. crypto.randomUUID()) with the stream request.`);
  }
  if (!isValidStreamId(streamId)) {
    return jsonError(400, `Invalid ${STREAM_ID_HEADER} header: use 1–128 characters of A–Z, a–z, 0–9, "_" and "-" (a UUID fits).`);
  }
  const secret = request.headers.get(CANCEL_SECRET_HEADER);
  if (secret === null) {
    return jsonError(400, `Missing ${CANCEL_SECRET_HEADER} header: send a random cancel secret (at least 128 bits, base64url or hex) with the stream request.`);
  }
  if (!isValidSecret(secret)) {
    return jsonError(400, `Invalid ${CANCEL_SECRET_HEADER} header: use 16–256 characters of base64url (A–Z, a–z, 0–9, "_", "-") or hex.`);
  }
  return { streamId, secret };
}
