import type { ResumeLogEntry, ResumeLogMeta } from '../../types';

const LF = 10;
const CR = 13;

/** The log entries of some forwarded bytes, and the bytes the client is sent for them (`wire`). */
export type LoggedBytes = { readonly entries: ResumeLogEntry[]; readonly wire: Uint8Array };

/**
 * Cuts the forwarded bytes into log entries and, for SSE, writes each event's `id:` line
 * (docs/resume.md, "The stream"). The bytes come from the boundary buffer, so they nearly always
 * end at an event end; an event split over two calls (a forced flush) is two entries, and only the
 * one that ends it gets the id.
 *
 * The id is the content offset just past the event, with the stream's tag, and it is the event's
 * **last** field: written before the blank line that ends the event, so it wins over an `id:` the
 * upstream may have written itself. An empty block (a stray blank line) gets none. The entries are
 * views into the one `wire` buffer the client is sent: one copy per forwarded chunk, however many
 * events it holds.
 */
export type LogEntries = (bytes: Uint8Array) => LoggedBytes;

/** Where one call's bytes are cut: the end of each piece, and where its id goes (`-1`: none). */
type Cut = { to: number; blankAt: number };

export function createLogEntries(framing: ResumeLogMeta['framing'], tag: string): LogEntries {
  let offset = 0;
  if (framing !== 'sse') {
    return (bytes) => {
      const entry = { start: offset, end: offset + bytes.length, data: bytes };
      offset = entry.end;
      return { entries: [entry], wire: bytes };
    };
  }
  // The scanner's state between calls: where the current line and event stand.
  const at = { atLineStart: true, prevCR: false, blockHasContent: false };
  const suffix = `.${tag}\n`;
  return (bytes) => {
    const cuts = scanEvents(bytes, at);
    // The ids first (their lengths size the buffer), then one buffer with every piece and its id.
    let end = offset;
    let from = 0;
    let extra = 0;
    const ids = cuts.map((cut) => {
      end += cut.to - from;
      from = cut.to;
      const id = cut.blankAt < 0 ? '' : `id: ${end}${suffix}`;
      extra += id.length;
      return id;
    });
    const wire = new Uint8Array(bytes.length + extra);
    const entries: ResumeLogEntry[] = [];
    let write = 0;
    from = 0;
    cuts.forEach((cut, i) => {
      const id = ids[i]!;
      const begin = write;
      const split = id ? cut.blankAt : cut.to;
      wire.set(bytes.subarray(from, split), write);
      write += split - from;
      for (let c = 0; c < id.length; c++) wire[write++] = id.charCodeAt(c); // ASCII only
      wire.set(bytes.subarray(split, cut.to), write);
      write += cut.to - split;
      entries.push({ start: offset, end: offset + (cut.to - from), data: wire.subarray(begin, write) });
      offset += cut.to - from;
      from = cut.to;
    });
    return { entries, wire };
  };
}

/** The pieces of `bytes`: each event that ends in it, and the rest, if any. Moves `at` along. */
function scanEvents(bytes: Uint8Array, at: { atLineStart: boolean; prevCR: boolean; blockHasContent: boolean }): Cut[] {
  const cuts: Cut[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === LF && at.prevCR) {
      // The LF of a CRLF whose CR ended the last call: the line already ended at the CR.
      at.prevCR = false;
      continue;
    }
    at.prevCR = false;
    if (byte !== LF && byte !== CR) {
      at.atLineStart = false;
      at.blockHasContent = true;
      continue;
    }
    const crlf = byte === CR && bytes[i + 1] === LF;
    if (byte === CR && i + 1 === bytes.length) at.prevCR = true;
    if (at.atLineStart) {
      // A blank line: the event ends after its terminator (both bytes of a CRLF).
      cuts.push({ to: crlf ? i + 2 : i + 1, blankAt: at.blockHasContent ? i : -1 });
      at.blockHasContent = false;
    }
    at.atLineStart = true;
    if (crlf) i++;
  }
  const last = cuts.length > 0 ? cuts[cuts.length - 1]!.to : 0;
  if (last < bytes.length) cuts.push({ to: bytes.length, blankAt: -1 });
  return cuts;
}
