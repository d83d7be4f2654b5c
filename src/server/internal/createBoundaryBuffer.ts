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
 * Where the bytes seen so far may be cut, as absolute offsets (bytes since the stream began), and
 * what the scanner must remember between chunks to tell it. One object, updated by `scan` alone.
 */
type Boundaries = {
  /** just past the last byte seen */
  total: number;
  /** just past the empty line that ended the last complete SSE event */
  sseEnd: number;
  /** just past the last line end (NDJSON) */
  lineEnd: number;
  /** the last byte seen ended a line (the next line end is an empty line: an SSE event ends) */
  atLineStart: boolean;
  /** the last byte seen was a CR: an LF next completes a CRLF, not another line */
  prevCR: boolean;
  /** continuation bytes the last UTF-8 character still needs (0: it is complete) */
  utf8Need: number;
  /** where that incomplete character starts */
  utf8LeadAt: number;
};

/** Moves `at`'s boundaries past `chunk`, byte by byte. */
function scan(at: Boundaries, chunk: Uint8Array): void {
  const base = at.total;
  for (let i = 0; i < chunk.length; i++) {
    const byte = chunk[i]!;
    if (byte === LF) {
      if (at.prevCR) {
        // The LF of a CRLF: the line already ended at the CR; keep the pair together.
        at.prevCR = false;
        if (at.sseEnd === base + i) at.sseEnd = base + i + 1;
        at.lineEnd = base + i + 1;
        continue;
      }
      if (at.atLineStart) at.sseEnd = base + i + 1;
      at.atLineStart = true;
      at.lineEnd = base + i + 1;
      at.utf8Need = 0;
    } else if (byte === CR) {
      if (at.atLineStart) at.sseEnd = base + i + 1;
      at.atLineStart = true;
      at.prevCR = true;
      at.utf8Need = 0;
    } else {
      at.prevCR = false;
      at.atLineStart = false;
      if (byte >= 0xc0) {
        at.utf8Need = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
        at.utf8LeadAt = base + i;
      } else if (byte >= 0x80) {
        if (at.utf8Need > 0) at.utf8Need--;
      } else {
        at.utf8Need = 0;
      }
    }
  }
  at.total += chunk.length;
}

/** Takes the first `length` bytes off the front of `held` (a list of chunks), as one array. */
function takeFront(held: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let written = 0;
  while (held.length > 0 && written < length) {
    const chunk = held[0]!;
    const want = length - written;
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
  return out;
}

/**
 * @param maxHeldBytes past this many held bytes the buffer forwards them anyway: an event that large
 *   is the client decoder's problem (it refuses it), not a reason to hold the server's memory.
 */
export function createBoundaryBuffer(maxHeldBytes = 16 * 1024 * 1024): BoundaryBuffer {
  const at: Boundaries = { total: 0, sseEnd: 0, lineEnd: 0, atLineStart: true, prevCR: false, utf8Need: 0, utf8LeadAt: 0 };
  /** the bytes not yet forwarded or dropped; the first of them is at offset `start` */
  let held: Uint8Array[] = [];
  let start = 0;

  const cut = (end: number): Uint8Array | null => {
    if (end <= start) return null;
    const out = takeFront(held, end - start);
    start = end;
    return out;
  };

  return {
    push(chunk) {
      if (chunk.length === 0) return;
      // The caller may reuse its buffer; we keep a view only as long as the chunk is held, which is
      // fine for stream chunks (a ReadableStream never reuses an enqueued chunk).
      held.push(chunk);
      scan(at, chunk);
    },
    take(framing) {
      if (at.total - start > maxHeldBytes) return cut(at.total);
      if (framing === 'sse') return cut(at.sseEnd);
      if (framing === 'ndjson') return cut(at.lineEnd);
      if (framing === 'text') return cut(at.utf8Need > 0 ? at.utf8LeadAt : at.total);
      return null;
    },
    flush() {
      return cut(at.total);
    },
    drop() {
      held = [];
      start = at.total;
    },
  };
}
