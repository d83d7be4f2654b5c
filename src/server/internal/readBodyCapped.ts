/** A request body read up to a cap: its text, or why it could not be read. */
export type CappedBody = { ok: true; text: string } | { ok: false; reason: 'too-large' | 'unreadable' };

/**
 * Reads a request body incrementally and stops as soon as it grows past `maxBytes`, so an
 * oversized body costs at most `maxBytes` of memory whatever its `content-length` says (a client
 * can lie, or send chunked). The text must be valid UTF-8.
 */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<CappedBody> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    request.body?.cancel().catch(() => {});
    return { ok: false, reason: 'too-large' };
  }
  if (request.body === null) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: 'unreadable' };
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
}
