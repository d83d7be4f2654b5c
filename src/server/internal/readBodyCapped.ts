/** A request body read up to a cap: its text, or why it could not be read. */
export type CappedBody = { ok: true; text: string } | { ok: false; reason: 'too-large' | 'unreadable' | 'timeout' };

/**
 * Reads a request body incrementally and stops as soon as it grows past `maxBytes`, so an
 * oversized body costs at most `maxBytes` of memory whatever its `content-length` says (a client
 * can lie, or send chunked). The text must be valid UTF-8.
 *
 * `timeoutMs` bounds the whole read, from this call to the body's last byte (so the wait for its
 * first byte counts too): a client that sends a few bytes and stalls, or none at all, gets
 * `timeout` and the body is cancelled. `Infinity` (the default): no bound.
 */
export async function readBodyCapped(request: Request, maxBytes: number, timeoutMs = Number.POSITIVE_INFINITY): Promise<CappedBody> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    request.body?.cancel().catch(() => {});
    return { ok: false, reason: 'too-large' };
  }
  if (request.body === null) return { ok: true, text: '' };
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = Number.isFinite(timeoutMs)
    ? new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      })
    : null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const next = deadline ? await Promise.race([reader.read(), deadline]) : await reader.read();
      if (next === 'timeout') {
        // Settles the pending read (done), so the lock can be released below.
        reader.cancel().catch(() => {});
        return { ok: false, reason: 'timeout' };
      }
      const { done, value } = next;
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
    clearTimeout(timer);
    try {
      reader.releaseLock();
    } catch {
      // a read still pending on a runtime that refuses to release then: the body is cancelled anyway
    }
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
