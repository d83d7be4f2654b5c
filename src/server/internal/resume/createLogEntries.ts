import type { ResumeLogEntry, ResumeLogMeta } from '../../types';

const LF = 10;
const CR = 13;
const encoder = new TextEncoder();

/**
 * Cuts the forwarded bytes into log entries and, for SSE, writes each event's `id:` line
 * (docs/resume.md, "The stream"). The bytes come from the boundary buffer, so they nearly always
 * end at an event end; an event split over two calls (a forced flush) is two entries, and only the
 * one that ends it gets the id.
 *
 * The id is the content offset just past the event, with the stream's tag, and it is the event's
 * **last** field: written before the blank line that ends the event, so it wins over an `id:` the
 * upstream may have written itself. An empty block (a stray blank line) gets none.
 */
export type LogEntries = (bytes: Uint8Array) => ResumeLogEntry[];

export function createLogEntries(framing: ResumeLogMeta['framing'], tag: string): LogEntries {
  let offset = 0;
  if (framing !== 'sse') {
    return (bytes) => {
      const entry = { start: offset, end: offset + bytes.length, data: bytes };
      offset = entry.end;
      return [entry];
    };
  }
  // The scanner's state between calls: where the current line and event stand.
  let atLineStart = true;
  let prevCR = false;
  let blockHasContent = false;

  return (bytes) => {
    const entries: ResumeLogEntry[] = [];
    let from = 0;
    const emit = (to: number, blankAt: number | null) => {
      if (to <= from) return;
      const start = offset;
      const end = offset + (to - from);
      let data = bytes.subarray(from, to);
      if (blankAt !== null) {
        const id = encoder.encode(`id: ${end}.${tag}\n`);
        const out = new Uint8Array(data.length + id.length);
        out.set(bytes.subarray(from, blankAt), 0);
        out.set(id, blankAt - from);
        out.set(bytes.subarray(blankAt, to), blankAt - from + id.length);
        data = out;
      }
      entries.push({ start, end, data });
      offset = end;
      from = to;
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte === LF && prevCR) {
        // The LF of a CRLF whose CR ended the last call: the line already ended at the CR.
        prevCR = false;
        continue;
      }
      prevCR = false;
      if (byte !== LF && byte !== CR) {
        atLineStart = false;
        blockHasContent = true;
        continue;
      }
      const crlf = byte === CR && bytes[i + 1] === LF;
      if (byte === CR && i + 1 === bytes.length) prevCR = true;
      if (atLineStart) {
        // A blank line: the event ends after its terminator (both bytes of a CRLF).
        emit(crlf ? i + 2 : i + 1, blockHasContent ? i : null);
        blockHasContent = false;
      }
      atLineStart = true;
      if (crlf) i++;
    }
    emit(bytes.length, null);
    return entries;
  };
}
