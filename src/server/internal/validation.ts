/**
 * Input checks and the secret comparison shared by both handlers and both registries. Everything
 * here is Web-standard (Web Crypto, TextEncoder), so the server entry runs in any fetch runtime.
 */

/** Stream ids: 1–128 characters of `[A-Za-z0-9_-]` (a UUID fits). Anything else is refused with 400. */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Cancel secrets: 16–256 characters of the base64url alphabet (hex is a subset), with up to two
 * `=` of padding. The client makes one from ≥128 random bits.
 */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{16,256}={0,2}$/;

export function isValidStreamId(value: unknown): value is string {
  return typeof value === 'string' && STREAM_ID_PATTERN.test(value);
}

export function isValidSecret(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 258 && SECRET_PATTERN.test(value);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * SHA-256 of the secret, as 64 lowercase hex characters. Registries store and compare only this
 * hash, so a dump of the registry (or of Redis) never shows a usable secret. No salt is needed:
 * the secret is ≥128 random bits, not a password. Exported for custom registries, which receive
 * and compare only hashes.
 *
 * @example
 * ```ts
 * import { hashSecret } from 'react-model-stream/server';
 * await hashSecret('q9Xc3v…'); // '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'-like
 * ```
 */
export async function hashSecret(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  // `join`, not `+=`: one flat 64-character string. Appending builds a tree of 32 concatenations
  // that a registry keeping the hash (a tombstone, a finished marker) would hold for its whole
  // life: about 1 KB each instead of about 100 bytes (test/heap/tombstones.test.ts).
  return Array.from(digest, (byte) => HEX[byte]).join('');
}

/**
 * Compares two secret hashes in time that depends only on their length, never on where they first
 * differ: every character is compared and the differences are OR-ed together, with no early exit.
 * Both sides are SHA-256 hex digests, so the length is always 64 and reveals nothing.
 */
export function secretHashesEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    // charCodeAt past the end gives NaN; `| 0` turns it into 0 so the loop does the same work.
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}

/** A JSON answer with the headers every answer of the cancel endpoint carries (and no CORS). */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** `{ "error": message }` with the given status. */
export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return jsonResponse(status, { error: message }, headers);
}

/** Header that carries the client-chosen stream id on the stream request. */
export const STREAM_ID_HEADER = 'x-stream-id';
/** Header that carries the cancel secret on the stream request and on the cancel request. */
export const CANCEL_SECRET_HEADER = 'x-stream-cancel-secret';
