/** How the pass-through cuts the upstream bytes: at SSE event ends, at NDJSON line ends, or at UTF-8 character ends. */
export type Framing = 'sse' | 'ndjson' | 'text';

/**
 * Holds back the bytes of an event that has not ended yet, so that what the pass-through forwards
 * always ends at an event boundary. When a stream is cancelled, the incomplete tail is dropped and
 * the cancel terminal is appended at a boundary, never inside a half-written event.
 *
 * Upstream bytes are scanned once, byte by byte (CR and LF never occur inside a multi-byte UTF-8
 * sequence, so bytes are enough). An SSE event ends at an empty line, with `\n`, `\r\n` or `\r` line
 * ends, as in the WHATWG spec and eventsource-parser. Chunks are kept as a list, not concatenated
 * per push, so one event spread over many chunks costs linear time.
 */
export type BoundaryBuffer = {
  /** Scans and holds the next upstream chunk. */
  push(chunk: Uint8Array): void;
  /** The held bytes that end at a boundary of `framing` (`null`: framing not known yet, nothing). */
  take(framing: Framing | null): Uint8Array | null;
  /** Everything held, boundary or not (the upstream ended: pass it through as it is). */
  flush(): Uint8Array | null;
  /** Drops what is held (a cancel: the half-written event is never sent). */
  drop(): void;
};

const LF = 10;
const CR = 13;

/**
 * @param maxHeldBytes past this many held bytes the buffer forwards them anyway: an event that large
 *   is the client decoder's problem (it refuses it), not a reason to hold the server's memory.
 */
export function createBoundaryBuffer(maxHeldBytes = 16 * 1024 * 1024): BoundaryBuffer {
  let held: Uint8Array[] = [];
  /** absolute offset of the first held byte (= bytes forwarded or dropped so far) */
  let start = 0;
  /** absolute offset just past the last byte seen */
  let total = 0;
  let sseEnd = 0;
  let lineEnd = 0;
  let atLineStart = true;
  let prevCR = false;
  let utf8Need = 0;
  let utf8LeadAt = 0;

  const cut = (end: number): Uint8Array | null => {
    if (end <= start) return null;
    const out = new Uint8Array(end - start);
    let written = 0;
    while (held.length > 0 && written < out.length) {
      const chunk = held[0]!;
      const want = out.length - written;
      if (chunk.length <= want) {
        out.set(chunk, written);
        written += chunk.length;
        held.shift();
      } else {
        out.set(chunk.subarray(0, want), written);
        written += want;
        held[0] = chunk.subarray(want);
      }
    }
    start = end;
    return out;
  };

  return {
    push(chunk) {
      if (chunk.length === 0) return;
      // The caller may reuse its buffer; we keep a view only as long as the chunk is held, which is
      // fine for stream chunks (a ReadableStream never reuses an enqueued chunk).
      held.push(chunk);
      const base = total;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === LF) {
          if (prevCR) {
            // The LF of a CRLF: the line already ended at the CR; keep the pair together.
            prevCR = false;
            if (sseEnd === base + i) sseEnd = base + i + 1;
            lineEnd = base + i + 1;
            continue;
          }
          if (atLineStart) sseEnd = base + i + 1;
          atLineStart = true;
          lineEnd = base + i + 1;
          utf8Need = 0;
        } else if (byte === CR) {
          if (atLineStart) sseEnd = base + i + 1;
          atLineStart = true;
          prevCR = true;
          utf8Need = 0;
        } else {
          prevCR = false;
          atLineStart = false;
          if (byte >= 0xc0) {
            utf8Need = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
            utf8LeadAt = base + i;
          } else if (byte >= 0x80) {
            if (utf8Need > 0) utf8Need--;
          } else {
            utf8Need = 0;
          }
        }
      }
      total += chunk.length;
    },
    take(framing) {
      if (total - start > maxHeldBytes) return cut(total);
      if (framing === 'sse') return cut(sseEnd);
      if (framing === 'ndjson') return cut(lineEnd);
      if (framing === 'text') return cut(utf8Need > 0 ? utf8LeadAt : total);
      return null;
    },
    flush() {
      return cut(total);
    },
    drop() {
      held = [];
      start = total;
    },
  };
}
