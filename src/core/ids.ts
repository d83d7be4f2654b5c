/**
 * Client-chosen stream identity. The client picks the stream id and its cancel secret *before* the
 * request, so a stop works even before the first byte: the cancel request can name the stream the
 * server has not answered yet (DESIGN.md, "Stream identity and the cancel endpoint").
 */

function webCrypto(): Crypto {
  const crypto = globalThis.crypto;
  if (!crypto || typeof crypto.getRandomValues !== 'function') {
    throw new Error('react-model-stream needs the Web Crypto API (globalThis.crypto); use Node 18+ or a modern browser.');
  }
  return crypto;
}

/**
 * A new random stream id (a version 4 UUID), sent as the `x-stream-id` header.
 *
 * Uses `crypto.randomUUID()`; where it is missing (browsers expose it only in secure contexts, so
 * not on a plain-http LAN address) the UUID is built from `crypto.getRandomValues`, which is
 * available everywhere.
 *
 * @example
 * ```ts
 * const id = createStreamId(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 * ```
 */
export function createStreamId(): string {
  const crypto = webCrypto();
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  let hex = '';
  for (let i = 0; i < 16; i++) {
    hex += bytes[i]!.toString(16).padStart(2, '0');
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
  }
  return hex;
}

/**
 * A new cancel secret: 32 random bytes (256 bits) from `crypto.getRandomValues`, base64url-encoded
 * without padding (43 characters). Sent as the `x-stream-cancel-secret` header with the stream
 * request and again with the cancel request; the server compares it in constant time so that only
 * the client that started a stream can cancel it.
 *
 * @example
 * ```ts
 * const secret = createCancelSecret(); // 'q3V0…' (43 URL-safe characters)
 * ```
 */
export function createCancelSecret(): string {
  const bytes = webCrypto().getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// An enum, not only the constant: a bundler (esbuild) writes an enum member's value in place,
// where it keeps top-level constants as variables. The exported constant keeps its literal type.
export enum Header {
  STREAM_CANCELLED = 'x-stream-cancelled',
}

/**
 * A response header the server helpers set on the answer to a stream whose cancel arrived before it
 * (a tombstone): the model was never called. It tells the client that a `pending` cancel answer was
 * true even for plain text and NDJSON, whose body carries no cancel event.
 */
export const STREAM_CANCELLED_HEADER: 'x-stream-cancelled' = Header.STREAM_CANCELLED;
