import { StreamProtocolError } from '../errors';
import { parseJsonOrUndefined } from './parseJson';

// NDJSON framing for the stream decoder: text in any split, whole lines out. Kept apart from the
// decoder so the line rules (CRLF, blank lines, the unterminated last line, the size bound) read
// in one place.

/**
 * Returns the feed of an NDJSON stream: `feed(text, final)` calls `onLine` with every complete,
 * non-blank line (without its `\n` or `\r\n`), in order. A line longer than `maxEventSize` throws
 * `buffer-overflow`. At `final`, a last line without its newline is passed on only when it is
 * whole JSON; a line cut mid-way is discarded, like an SSE event cut before its blank line.
 */
export function createNdjsonFraming(maxEventSize: number, onLine: (line: string) => void): (text: string, final: boolean) => void {
  let rest = '';
  return (text, final) => {
    let buffer = rest + text;
    let start = 0;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(start, buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline);
      if (line.trim() !== '') onLine(line);
      start = newline + 1;
      newline = buffer.indexOf('\n', start);
    }
    buffer = buffer.slice(start);
    if (final) {
      rest = '';
      const line = buffer.trim();
      if (line !== '' && parseJsonOrUndefined(line) !== undefined) onLine(line);
    } else {
      if (buffer.length > maxEventSize) {
        throw new StreamProtocolError('buffer-overflow', `An NDJSON line grew past ${maxEventSize} characters.`, buffer.slice(0, 1000));
      }
      rest = buffer;
    }
  };
}
